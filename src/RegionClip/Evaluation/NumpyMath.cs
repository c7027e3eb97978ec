namespace RegionClip.Evaluation;

/// <summary>
/// numpy's float64 summation order, so means equal np.mean bit for bit: the reduction runs over buffers of 8192
/// elements, each summed pairwise (blocks of at most 128 with 8 running accumulators).
/// </summary>
internal static class NumpyMath
{
    private const int ReduceBuffer = 8192;
    private const int PairwiseBlock = 128;

    /// <summary>np.mean of the values, or −1 (the official tools' "undefined") when there are none.</summary>
    public static double MeanOrMinusOne(ReadOnlySpan<double> values) =>
        values.Length == 0 ? -1 : Sum(values) / values.Length;

    public static double Sum(ReadOnlySpan<double> values)
    {
        double total = 0.0;
        for (int i = 0; i < values.Length; i += ReduceBuffer)
            total += PairwiseSum(values.Slice(i, Math.Min(ReduceBuffer, values.Length - i)));
        return total;
    }

    private static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double s = -0.0;
            for (int i = 0; i < n; i++) s += a[i];
            return s;
        }
        if (n <= PairwiseBlock)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            int i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        int half = n / 2;
        half -= half % 8;
        return PairwiseSum(a[..half]) + PairwiseSum(a[half..]);
    }
}
