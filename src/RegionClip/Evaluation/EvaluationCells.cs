namespace RegionClip.Evaluation;

/// <summary>A ground-truth box as the matcher sees it. <see cref="Image"/> is the index in ascending image-id order.</summary>
internal struct GtBox
{
    public double X, Y, W, H, Area;
    public long Id;
    public int Image;
    public bool Crowd;   // COCO: IoU against a crowd box divides by the detection's area; a crowd box can absorb many detections
    public bool Ignore;  // ignored whatever the area range (COCO: iscrowd)
}

/// <summary>A detection as the matcher sees it.</summary>
internal struct DtBox
{
    public double X, Y, W, H, Area, Score;
    public int Image;
    public bool NotExhaustive;  // LVIS: its category is not exhaustively annotated in its image, so an unmatched one is ignored
}

/// <summary>
/// Boxes grouped by category (ascending id, the K axis) then image (ascending id), each (image, category) cell in
/// the order the official tools list them: file order. Built by the COCO and LVIS front ends.
/// </summary>
internal sealed class EvaluationCells
{
    public EvaluationCells(int categoryCount, GtBox[] gts, int[] gtCategoryStart, DtBox[] dts, int[] dtCategoryStart)
    {
        CategoryCount = categoryCount;
        Gts = gts;
        GtCategoryStart = gtCategoryStart;
        Dts = dts;
        DtCategoryStart = dtCategoryStart;
    }

    public int CategoryCount { get; }
    public GtBox[] Gts { get; }
    public int[] GtCategoryStart { get; }  // K + 1 offsets into Gts
    public DtBox[] Dts { get; }
    public int[] DtCategoryStart { get; }  // K + 1 offsets into Dts

    /// <summary>
    /// Sorts items by (category, image, position in the input) — a stable grouping — and returns the order and the
    /// per-category offsets. cell[j] = category·imageCount + image, or −1 to drop item j.
    /// </summary>
    public static (int[] Order, int[] CategoryStart) Group(ReadOnlySpan<int> category, ReadOnlySpan<int> image, int categoryCount, int imageCount)
    {
        if ((long)categoryCount * imageCount >= int.MaxValue)
            throw new NotSupportedException($"{categoryCount} categories × {imageCount} images is beyond the evaluator's cell index");
        int n = 0;
        for (int j = 0; j < category.Length; j++) if (category[j] >= 0) n++;
        var keys = new long[n];
        n = 0;
        for (int j = 0; j < category.Length; j++)
            if (category[j] >= 0)
                keys[n++] = ((long)(category[j] * imageCount + image[j]) << 32) | (uint)j;
        Array.Sort(keys);
        var order = new int[n];
        var start = new int[categoryCount + 1];
        for (int j = 0; j < n; j++)
        {
            order[j] = (int)(keys[j] & 0xFFFFFFFF);
            start[(int)((keys[j] >> 32) / imageCount) + 1]++;
        }
        for (int k = 0; k < categoryCount; k++) start[k + 1] += start[k];
        return (order, start);
    }
}
