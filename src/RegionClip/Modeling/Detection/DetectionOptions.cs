using RegionClip.Data.Coco;
using RegionClip.Structures;

namespace RegionClip.Modeling.Detection;

/// <summary>How region class probabilities combine with RPN objectness.</summary>
public enum ScoreFusion
{
    /// <summary>Class probabilities alone (GT / given boxes; COCO zero-shot).</summary>
    None,
    /// <summary>
    /// The official MULTIPLY_RPN_SCORE: sqrt(p · o) with o the RAW objectness logit, so proposals with
    /// a negative logit disappear (NaN) and scores can exceed 1. Reproduces the reference numbers.
    /// </summary>
    Reference,
    /// <summary>sqrt(p · sigmoid(o)): the same geometric mean on a probability, scores stay in [0, 1].</summary>
    Sigmoid,
}

/// <summary>Post-processing of zero-shot detection; presets follow the official configs.</summary>
public sealed record DetectionOptions
{
    /// <summary>Candidates need a score strictly above this.</summary>
    public double ScoreThreshold { get; init; } = 0.02;
    /// <summary>Per-class NMS IoU threshold.</summary>
    public double NmsThreshold { get; init; } = 0.3;
    /// <summary>Detections kept per image (after NMS, best first).</summary>
    public int MaxDetections { get; init; } = 300;
    /// <summary>Gaussian soft-NMS instead of hard NMS.</summary>
    public bool SoftNms { get; init; }
    public double SoftNmsSigma { get; init; } = 0.5;
    public double SoftNmsPrune { get; init; } = 0.001;
    public ScoreFusion Fusion { get; init; } = ScoreFusion.None;
    /// <summary>Report the pre-fusion class probability of each kept detection (the CLIP.VIS behaviour).</summary>
    public bool ReportUnfusedScores { get; init; }

    /// <summary>LVIS custom-image config (`*_custom_img.yaml`): 0.02, NMS 0.3, 300 per image.</summary>
    public static DetectionOptions CustomImages { get; } = new();
    /// <summary>COCO zero-shot config: 0.001, NMS 0.5, 100 per image.</summary>
    public static DetectionOptions Coco { get; } = new() { ScoreThreshold = 0.001, NmsThreshold = 0.5, MaxDetections = 100 };
    /// <summary>LVIS zero-shot config as the GT-box scripts run it: 0.0001, NMS 0.5, 300 per image.</summary>
    public static DetectionOptions Lvis { get; } = new() { ScoreThreshold = 0.0001, NmsThreshold = 0.5, MaxDetections = 300 };

    /// <summary>The official preset for evaluating on <paramref name="dataset"/>'s boxes: LVIS when its categories have frequencies, else COCO.</summary>
    public static DetectionOptions ForDataset(CocoDataset dataset) =>
        dataset.Categories.Any(c => c.Frequency is not null) ? Lvis : Coco;

    internal void Validate()
    {
        if (double.IsNaN(ScoreThreshold)) throw new ArgumentException("the score threshold is NaN");
        if (!(NmsThreshold >= 0 && NmsThreshold <= 1)) throw new ArgumentException($"the NMS threshold must be in [0, 1], got {NmsThreshold}");
        if (MaxDetections < 1) throw new ArgumentException($"detections per image must be at least 1, got {MaxDetections}");
        if (SoftNms && !(SoftNmsSigma > 0)) throw new ArgumentException($"the soft-NMS sigma must be positive, got {SoftNmsSigma}");
    }
}

/// <summary>One detection, in the original image's pixels.</summary>
/// <param name="Concept">Index into the vocabulary.</param>
/// <param name="CategoryId">The dataset's category id when the vocabulary came from a categories file.</param>
/// <param name="Region">Index of the region (given box or proposal) it came from.</param>
public sealed record Detection(Box Box, int Concept, string Label, float Score, long? CategoryId, int Region)
{
    /// <summary>
    /// The COCO results entry of this detection in image <paramref name="imageId"/>: [x, y, w, h], and the
    /// dataset's category id, or the vocabulary's 1-based index when the vocabulary has no ids.
    /// </summary>
    public CocoDetection ToCoco(long imageId) => new(imageId, CategoryId ?? Concept + 1, Box.ToXywh(), Score);
}
