namespace RegionClip.Training.Engine;

/// <summary>The summary numbers every trainer reports from its step log.</summary>
public static class RunStatistics
{
    /// <summary>Images per second over the timed steps: total images over total time (not a mean of rates).</summary>
    public static double ImagesPerSecond(IEnumerable<double> stepRates, int batch)
    {
        var timed = stepRates.Where(r => r > 0).ToList();
        return timed.Count == 0 ? 0 : timed.Count * (double)batch / timed.Sum(r => batch / r);
    }

    /// <summary>The mean of the last <paramref name="count"/> losses (NaN when there are none).</summary>
    public static double TailMean(IReadOnlyList<double> losses, int count)
    {
        var tail = losses.Skip(Math.Max(0, losses.Count - Math.Max(1, count))).ToList();
        return tail.Count == 0 ? double.NaN : tail.Average();
    }
}
