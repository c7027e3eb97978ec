using System.Text.Json;
using RegionClip.Data.Coco;
using RegionClip.Evaluation;

namespace RegionClip.Tests.Evaluation;

/// <summary>
/// A hand-made ground truth + detections pair, written as real COCO/LVIS JSON files (so every case also goes
/// through the readers) and evaluated.
/// </summary>
internal sealed class EvalCase
{
    /// <summary>np.spacing(1): the official precision is tp / (tp + fp + eps), so one TP alone scores 1/(1+eps), not 1.</summary>
    public const double Eps = 2.220446049250313e-16;

    /// <summary>Precision of a run of true positives: 1/(1+eps) = 0.9999999999999998.</summary>
    public static readonly double OneTp = 1.0 / (1.0 + Eps);

    private readonly List<Dictionary<string, object>> _images = [], _categories = [], _annotations = [], _detections = [];

    public EvalCase Image(long id, long[]? neg = null, long[]? notExhaustive = null)
    {
        var image = new Dictionary<string, object> { ["id"] = id, ["file_name"] = $"{id}.jpg", ["width"] = 640, ["height"] = 480 };
        if (neg != null) image["neg_category_ids"] = neg;
        if (notExhaustive != null) image["not_exhaustive_category_ids"] = notExhaustive;
        _images.Add(image);
        return this;
    }

    /// <summary>LVIS images: both lists always present (empty unless given).</summary>
    public EvalCase LvisImage(long id, long[]? neg = null, long[]? notExhaustive = null) => Image(id, neg ?? [], notExhaustive ?? []);

    public EvalCase Category(long id, string? frequency = null)
    {
        var c = new Dictionary<string, object> { ["id"] = id, ["name"] = $"thing{id}" };
        if (frequency != null) c["frequency"] = frequency;
        _categories.Add(c);
        return this;
    }

    public EvalCase Gt(long image, long category, double x, double y, double w, double h, bool crowd = false, long? id = null)
    {
        _annotations.Add(new()
        {
            ["id"] = id ?? _annotations.Count + 1, ["image_id"] = image, ["category_id"] = category,
            ["bbox"] = new[] { x, y, w, h }, ["area"] = w * h, ["iscrowd"] = crowd ? 1 : 0,
        });
        return this;
    }

    public EvalCase Det(long image, long category, double x, double y, double w, double h, double score)
    {
        _detections.Add(new() { ["image_id"] = image, ["category_id"] = category, ["bbox"] = new[] { x, y, w, h }, ["score"] = score });
        return this;
    }

    public (string Gt, string Dt) Write(string folder)
    {
        var gt = Path.Combine(folder, "gt.json");
        var dt = Path.Combine(folder, "dt.json");
        File.WriteAllText(gt, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["images"] = _images, ["annotations"] = _annotations, ["categories"] = _categories,
        }));
        File.WriteAllText(dt, JsonSerializer.Serialize(_detections));
        return (gt, dt);
    }

    public DetectionEvaluation Coco()
    {
        using var dir = Paths.TempDir();
        var (gt, dt) = Write(dir.FullName);
        return CocoEvaluator.Evaluate(CocoDataset.Load(gt), CocoResultsFile.Load(dt));
    }

    public DetectionEvaluation Lvis()
    {
        using var dir = Paths.TempDir();
        var (gt, dt) = Write(dir.FullName);
        return LvisEvaluator.Evaluate(CocoDataset.Load(gt), CocoResultsFile.Load(dt));
    }
}
