namespace RegionClip.Evaluation;

/// <summary>
/// The accumulated curves, laid out as the official tools' eval["precision"] [T,R,K,A,M] and eval["recall"]
/// [T,K,A,M] (row-major; LVIS has M = 1). −1 marks a setting with no ground truth to find.
/// K runs over the ground truth's categories in ascending id (<see cref="CategoryIds"/>).
/// </summary>
public sealed class EvaluationArrays
{
    internal EvaluationArrays(EvaluationParams p, IReadOnlyList<long> categoryIds)
    {
        Params = p;
        CategoryIds = categoryIds;
        (T, R, K, A, M) = (p.IouThresholds.Count, p.RecallThresholds.Count, categoryIds.Count, p.AreaRanges.Count, p.MaxDets.Count);
        Precision = new double[T * R * K * A * M];
        Recall = new double[T * K * A * M];
        Array.Fill(Precision, -1.0);
        Array.Fill(Recall, -1.0);
    }

    public EvaluationParams Params { get; }
    public IReadOnlyList<long> CategoryIds { get; }
    public int T { get; }
    public int R { get; }
    public int K { get; }
    public int A { get; }
    public int M { get; }

    /// <summary>Row-major [T,R,K,A,M].</summary>
    public double[] Precision { get; }

    /// <summary>Row-major [T,K,A,M].</summary>
    public double[] Recall { get; }

    public double PrecisionAt(int t, int r, int k, int a, int m) => Precision[(((t * R + r) * K + k) * A + a) * M + m];
    public double RecallAt(int t, int k, int a, int m) => Recall[((t * K + k) * A + a) * M + m];

    internal void SetPrecision(int t, int r, int k, int a, int m, double v) => Precision[(((t * R + r) * K + k) * A + a) * M + m] = v;
    /// <summary>Copies the curves of one maxDets setting to another (for limits that keep the same detections).</summary>
    internal void CopyMaxDets(int k, int a, int from, int to)
    {
        for (int t = 0; t < T; t++)
        {
            Recall[((t * K + k) * A + a) * M + to] = Recall[((t * K + k) * A + a) * M + from];
            for (int r = 0; r < R; r++)
                Precision[(((t * R + r) * K + k) * A + a) * M + to] = Precision[(((t * R + r) * K + k) * A + a) * M + from];
        }
    }

    internal void SetRecall(int t, int k, int a, int m, double v) => Recall[((t * K + k) * A + a) * M + m] = v;

    /// <summary>
    /// np.mean(s[s > -1]) of precision[ts, :, ks, a, m] in numpy's element order (t, r, k), −1 when nothing is
    /// defined — how every AP summary number is formed. Null selects every IoU threshold / every category.
    /// </summary>
    public double MeanPrecision(IReadOnlyList<int>? ts, int a, int m, IReadOnlyList<int>? ks = null)
    {
        var values = new List<double>();
        foreach (int t in ts ?? Enumerable.Range(0, T).ToArray())
            for (int r = 0; r < R; r++)
                foreach (int k in ks ?? Enumerable.Range(0, K).ToArray())
                {
                    double v = PrecisionAt(t, r, k, a, m);
                    if (v > -1) values.Add(v);
                }
        return NumpyMath.MeanOrMinusOne(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));
    }

    /// <summary>np.mean(s[s > -1]) of recall[ts, :, a, m] in numpy's element order (t, k): the AR summary numbers.</summary>
    public double MeanRecall(IReadOnlyList<int>? ts, int a, int m)
    {
        var values = new List<double>();
        foreach (int t in ts ?? Enumerable.Range(0, T).ToArray())
            for (int k = 0; k < K; k++)
            {
                double v = RecallAt(t, k, a, m);
                if (v > -1) values.Add(v);
            }
        return NumpyMath.MeanOrMinusOne(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));
    }

    /// <summary>Index of an IoU threshold by value, as np.where(iouThr == p.iouThrs) finds it.</summary>
    public int IouIndex(double threshold)
    {
        for (int t = 0; t < T; t++) if (Params.IouThresholds[t] == threshold) return t;
        throw new ArgumentException($"IoU threshold {threshold} is not one of the evaluation's thresholds");
    }
}
