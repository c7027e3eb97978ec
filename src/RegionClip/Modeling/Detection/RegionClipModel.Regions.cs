using RegionClip.Modeling.Clip;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Modeling.Detection;

/// <summary>Per-region scores against a vocabulary: probabilities [K + 1] with background last.</summary>
public sealed record RegionScores(Box Box, float[] Probabilities, int Top, string TopLabel, float TopProbability);

// Region features and region classification for boxes in original image pixels.
public sealed partial class RegionClipModel
{
    /// <summary>
    /// Attention-pooled embeddings [K, EmbedDim] (not normalised) of boxes [K, 4] given in the
    /// original image's pixels (XYXY). Boxes are validated and clipped to the image
    /// (<see cref="RegionBoxes.ValidateAndClip"/>); K = 0 gives [0, EmbedDim].
    /// </summary>
    public Tensor ExtractRegionFeatures(DetectionImage image, Tensor boxes) => ExtractRegionFeatures([image], [boxes])[0];

    /// <summary>Reads and prepares the image, then <see cref="ExtractRegionFeatures(DetectionImage, Tensor)"/>.</summary>
    public Tensor ExtractRegionFeatures(string imagePath, IReadOnlyList<Box> boxes, DetectionResize? resize = null)
    {
        using var image = DetectionImage.Load(imagePath, resize);
        using var t = Box.ToTensor(boxes);
        return ExtractRegionFeatures(image, t);
    }

    /// <summary>Many images (any sizes) and their boxes in one call; one [Ki, EmbedDim] tensor per image.</summary>
    public IReadOnlyList<Tensor> ExtractRegionFeatures(IReadOnlyList<DetectionImage> images, IReadOnlyList<Tensor> boxes)
    {
        if (images.Count != boxes.Count) throw new ArgumentException($"{images.Count} image(s) but {boxes.Count} box list(s)");
        using var scope = torch.NewDisposeScope();
        var input = new Tensor[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            var clipped = RegionBoxes.ValidateAndClip(boxes[i], img.OriginalHeight, img.OriginalWidth, img.Source ?? $"image #{i}");
            input[i] = img.ToInput(clipped);
        }
        var all = EncodeRegions(images, input);
        var result = new Tensor[images.Count];
        long offset = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var k = input[i].size(0);
            result[i] = all.narrow(0, offset, k).contiguous().MoveToOuterScope();
            offset += k;
        }
        return result;
    }

    /// <summary>Zero-shot classification of boxes (original pixels) against a vocabulary.</summary>
    public IReadOnlyList<RegionScores> ClassifyRegions(DetectionImage image, IReadOnlyList<Box> boxes, ConceptPool concepts)
    {
        using var scope = torch.NewDisposeScope();
        var features = ExtractRegionFeatures(image, Box.ToTensor(boxes));
        return Score(features, boxes, concepts);
    }

    /// <summary>Probabilities of embeddings [K, D] against a vocabulary, one record per box.</summary>
    public static IReadOnlyList<RegionScores> Score(Tensor features, IReadOnlyList<Box> boxes, ConceptPool concepts)
    {
        using var probs = RegionClassifier.Probabilities(features, concepts.Embeddings);
        var k1 = (int)probs.size(1);
        var values = probs.data<float>();
        var result = new RegionScores[boxes.Count];
        for (int i = 0; i < boxes.Count; i++)
        {
            var row = values.AsSpan(i * k1, k1).ToArray();
            int top = 0;
            for (int c = 1; c < k1 - 1; c++) if (row[c] > row[top]) top = c;
            result[i] = new RegionScores(boxes[i], row, top, concepts.Names[top], row[top]);
        }
        return result;
    }
}
