namespace RegionClip.Evaluation;

/// <summary>An object-area range (in pixels², bounds inclusive as in pycocotools) with its label.</summary>
public readonly record struct AreaRange(string Label, double Min, double Max);

/// <summary>
/// The evaluation grid of pycocotools' and lvis-api's Params: IoU thresholds, recall points, area ranges and
/// detections-per-image limits. Thresholds are generated exactly as numpy.linspace does, since the matching
/// compares IoUs against them and recalls are looked up by them.
/// </summary>
public sealed class EvaluationParams
{
    private EvaluationParams(int[] maxDets, int maxDetsPerCell)
    {
        MaxDets = maxDets;
        MaxDetsPerImageAndCategory = maxDetsPerCell;
    }

    /// <summary>.50:.05:.95 (10 values; 0.8999999999999999 at index 8, as numpy gives).</summary>
    public IReadOnlyList<double> IouThresholds { get; } = Linspace(0.5, 0.95, 10);

    /// <summary>0:.01:1 (101 recall points).</summary>
    public IReadOnlyList<double> RecallThresholds { get; } = Linspace(0.0, 1.0, 101);

    public IReadOnlyList<AreaRange> AreaRanges { get; } =
    [
        new("all", 0, 1e5 * 1e5),
        new("small", 0, 32 * 32),
        new("medium", 32 * 32, 96 * 96),
        new("large", 96 * 96, 1e5 * 1e5),
    ];

    /// <summary>Detections per image kept when accumulating (COCO 1/10/100; LVIS one unlimited setting: its 300 cap is applied when the results are read).</summary>
    public IReadOnlyList<int> MaxDets { get; }

    /// <summary>Detections kept per (image, category) before matching: pycocotools' maxDets[-1]; unlimited for LVIS.</summary>
    public int MaxDetsPerImageAndCategory { get; }

    public static EvaluationParams Coco { get; } = new([1, 10, 100], 100);
    public static EvaluationParams Lvis { get; } = new([int.MaxValue], int.MaxValue);

    /// <summary>LVIS's detections-per-image cap, applied to the results before evaluation.</summary>
    public const int LvisMaxDetsPerImage = 300;

    /// <summary>numpy.linspace(start, stop, num, endpoint=True): i·step + start, the last value exactly stop.</summary>
    internal static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }
}
