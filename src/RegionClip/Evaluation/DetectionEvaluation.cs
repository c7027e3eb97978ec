using RegionClip.Data.Coco;

namespace RegionClip.Evaluation;

public enum EvaluationKind { Coco, Lvis }

/// <summary>AP of one category: mean precision over IoU .50:.95 and the recall points, area "all", the largest maxDets (−1 when it has no ground truth).</summary>
public sealed record CategoryAp(CocoCategory Category, double AP);

/// <summary>The outcome of a bbox evaluation: the official summary numbers, per-category AP and the raw curves.</summary>
public sealed class DetectionEvaluation
{
    internal DetectionEvaluation(EvaluationKind kind, IReadOnlyList<KeyValuePair<string, double>> stats,
        IReadOnlyList<CategoryAp> perCategory, EvaluationArrays arrays, int skippedDetections)
    {
        Kind = kind;
        Stats = stats;
        PerCategory = perCategory;
        Arrays = arrays;
        SkippedDetections = skippedDetections;
    }

    public EvaluationKind Kind { get; }

    /// <summary>
    /// In the official order and spelling. COCO: pycocotools' 12 stats (AP, AP50, AP75, APs, APm, APl, AR1, AR10,
    /// AR100, ARs, ARm, ARl). LVIS: lvis-api's results (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300,
    /// ARs@300, ARm@300, ARl@300). −1 where undefined.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, double>> Stats { get; }

    public double this[string key] =>
        Stats.FirstOrDefault(s => s.Key == key) is { Key: not null } s ? s.Value : throw new KeyNotFoundException($"no summary number \"{key}\"");

    /// <summary>One entry per ground-truth category, in ascending id (the K axis of <see cref="Arrays"/>).</summary>
    public IReadOnlyList<CategoryAp> PerCategory { get; }

    public EvaluationArrays Arrays { get; }

    /// <summary>Detections whose category is not in the ground truth; the official tools drop them silently.</summary>
    public int SkippedDetections { get; }
}
