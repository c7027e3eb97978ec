using RegionClip.Data.Coco;

namespace RegionClip.Training.Engine;

/// <summary>Results of work the ranks shared (<see cref="DataParallel.Split"/>), put back together on every rank.</summary>
public static class DataParallelResults
{
    /// <summary>Every rank's detections in rank order: over contiguous parts of an image list, the list one process would have made.</summary>
    public static List<CocoDetection> GatherDetections(this DataParallel parallel, IReadOnlyList<CocoDetection> local)
    {
        if (!parallel.IsDistributed) return [.. local];
        const int Columns = 7;   // image id, category id, x, y, w, h, score: float64 holds the ids exactly
        var rows = new double[local.Count * Columns];
        for (int i = 0; i < local.Count; i++)
        {
            var d = local[i];
            (rows[Columns * i], rows[Columns * i + 1], rows[Columns * i + 6]) = (d.ImageId, d.CategoryId, d.Score);
            d.Bbox.CopyTo(rows, Columns * i + 2);
        }
        var all = parallel.GatherRows(rows, Columns);
        return [.. Enumerable.Range(0, all.Length / Columns).Select(i =>
            new CocoDetection((long)all[Columns * i], (long)all[Columns * i + 1], all[(Columns * i + 2)..(Columns * i + 6)], all[Columns * i + 6]))];
    }
}
