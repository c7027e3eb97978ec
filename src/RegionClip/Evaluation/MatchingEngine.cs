using RegionClip.Structures;

namespace RegionClip.Evaluation;

/// <summary>
/// The per-image matching (pycocotools' evaluateImg / lvis-api's evaluate_img) and the accumulation into
/// precision [T,R,K,A,M] and recall [T,K,A,M], one category at a time (categories run in parallel).
/// Every comparison, tie-break and floating-point expression follows the official code, so results are identical:
/// detections are ranked by score with ties kept in input order (numpy's stable mergesort), ground truths are
/// matched non-ignored first, precision is tp / (tp + fp + eps) with numpy's eps.
/// </summary>
internal static class MatchingEngine
{
    private const double NumpyEps = 2.220446049250313e-16;  // np.spacing(1)

    public static EvaluationArrays Run(EvaluationCells cells, EvaluationParams p, IReadOnlyList<long> categoryIds)
    {
        int t = p.IouThresholds.Count;
        if (t > 16) throw new NotSupportedException("at most 16 IoU thresholds (the matcher keeps one bit per threshold)");
        var arrays = new EvaluationArrays(p, categoryIds);
        Parallel.For(0, cells.CategoryCount, () => new CategoryWorker(p), (k, _, worker) =>
        {
            worker.Evaluate(cells, k, arrays);
            return worker;
        }, _ => { });
        return arrays;
    }

    /// <summary>A detection ranked within its cell (score descending, ties by input position).</summary>
    private readonly record struct Ranked(double Score, int Position);

    private struct ByScoreThenPosition : IComparer<Ranked>
    {
        public readonly int Compare(Ranked x, Ranked y) =>
            x.Score > y.Score ? -1 : x.Score < y.Score ? 1 : x.Position.CompareTo(y.Position);
    }

    /// <summary>Scratch buffers for one thread; evaluates whole categories.</summary>
    private sealed class CategoryWorker(EvaluationParams p)
    {
        private readonly double[] _iouThr = p.IouThresholds.Select(v => Math.Min(v, 1 - 1e-10)).ToArray();
        private readonly double[] _recThr = [.. p.RecallThresholds];
        private readonly AreaRange[] _areas = [.. p.AreaRanges];
        private readonly int[] _maxDets = [.. p.MaxDets];
        private readonly int _cellMaxDets = p.MaxDetsPerImageAndCategory;
        private readonly int[] _npig = new int[p.AreaRanges.Count];

        // Per cell.
        private Ranked[] _ranked = new Ranked[64];
        private double[] _iou = new double[256];
        private int[] _gtOrder = new int[16];
        private bool[] _gtIgnored = new bool[16];
        private bool[] _gtTaken = new bool[16];
        private ushort[] _matched = new ushort[64];

        // Per category: one entry per kept detection, in concatenation order (image, then rank in the cell).
        private int _count;
        private double[] _score = new double[256];
        private int[] _rank = new int[256];
        private ushort[] _masks = new ushort[256 * p.AreaRanges.Count * 2];  // [entry][area] → (matched-to-nonzero-id bits, ignored bits)

        // Accumulation.
        private Ranked[] _byScore = new Ranked[256];
        private int[] _kept = new int[256];
        private double[] _rc = new double[256], _pr = new double[256];

        public void Evaluate(EvaluationCells cells, int k, EvaluationArrays arrays)
        {
            _count = 0;
            Array.Clear(_npig);
            int gi = cells.GtCategoryStart[k], ge = cells.GtCategoryStart[k + 1];
            int di = cells.DtCategoryStart[k], de = cells.DtCategoryStart[k + 1];
            while (gi < ge || di < de)
            {
                int image = Math.Min(gi < ge ? cells.Gts[gi].Image : int.MaxValue, di < de ? cells.Dts[di].Image : int.MaxValue);
                int g0 = gi, d0 = di;
                while (gi < ge && cells.Gts[gi].Image == image) gi++;
                while (di < de && cells.Dts[di].Image == image) di++;
                EvaluateCell(cells.Gts.AsSpan(g0, gi - g0), cells.Dts.AsSpan(d0, di - d0));
            }
            Accumulate(k, arrays);
        }

        private void EvaluateCell(ReadOnlySpan<GtBox> gts, ReadOnlySpan<DtBox> dts)
        {
            int g = gts.Length;
            Grow(ref _ranked, dts.Length);
            for (int d = 0; d < dts.Length; d++) _ranked[d] = new Ranked(dts[d].Score, d);
            _ranked.AsSpan(0, dts.Length).Sort(new ByScoreThenPosition());
            int nd = Math.Min(dts.Length, _cellMaxDets);

            bool haveIou = g > 0 && nd > 0;
            if (haveIou) ComputeIou(gts, dts, nd);
            Grow(ref _gtOrder, g);
            Grow(ref _gtIgnored, g);
            Grow(ref _gtTaken, g);
            Grow(ref _matched, nd * 2);
            int first = _count;
            Reserve(_count + nd);
            for (int d = 0; d < nd; d++)
            {
                _score[first + d] = _ranked[d].Score;
                _rank[first + d] = d;
            }
            _count += nd;

            for (int a = 0; a < _areas.Length; a++)
            {
                var (lo, hi) = (_areas[a].Min, _areas[a].Max);
                // Ground truths: non-ignored first, each group in input order (a stable sort on the ignore flag).
                int n = 0;
                for (int j = 0; j < g; j++) if (!IsIgnored(gts[j], lo, hi)) { _gtOrder[n] = j; _gtIgnored[n++] = false; }
                _npig[a] += n;
                for (int j = 0; j < g; j++) if (IsIgnored(gts[j], lo, hi)) { _gtOrder[n] = j; _gtIgnored[n++] = true; }

                var matched = _matched.AsSpan(0, nd);
                var ignored = _matched.AsSpan(nd, nd);
                matched.Clear();
                ignored.Clear();
                if (haveIou) Match(gts, nd, matched, ignored);

                ushort all = (ushort)((1 << _iouThr.Length) - 1);
                for (int d = 0; d < nd; d++)
                {
                    ref readonly var dt = ref dts[_ranked[d].Position];
                    // Unmatched detections outside the area range (LVIS: or of a not-exhaustive category) are ignored.
                    if (dt.Area < lo || dt.Area > hi || dt.NotExhaustive) ignored[d] |= (ushort)(all & ~matched[d]);
                    int at = ((first + d) * _areas.Length + a) * 2;
                    _masks[at] = matched[d];
                    _masks[at + 1] = ignored[d];
                }
            }
        }

        private static bool IsIgnored(in GtBox gt, double lo, double hi) => gt.Ignore || gt.Area < lo || gt.Area > hi;

        /// <summary>Greedy matching in score order at each IoU threshold, exactly as the official loop.</summary>
        private void Match(ReadOnlySpan<GtBox> gts, int nd, Span<ushort> matched, Span<ushort> ignored)
        {
            int g = gts.Length;
            for (int t = 0; t < _iouThr.Length; t++)
            {
                var taken = _gtTaken.AsSpan(0, g);
                taken.Clear();
                ushort bit = (ushort)(1 << t);
                for (int d = 0; d < nd; d++)
                {
                    double best = _iouThr[t];
                    int m = -1;
                    var row = _iou.AsSpan(d * g, g);
                    for (int j = 0; j < g; j++)
                    {
                        int gj = _gtOrder[j];
                        if (taken[j] && !gts[gj].Crowd) continue;
                        // Already matched to a regular ground truth and only ignored ones remain: stop.
                        if (m > -1 && !_gtIgnored[m] && _gtIgnored[j]) break;
                        if (row[gj] < best) continue;
                        best = row[gj];
                        m = j;
                    }
                    if (m == -1) continue;
                    if (_gtIgnored[m]) ignored[d] |= bit;
                    // The official code stores the ground truth's id and tests it against 0.
                    if (gts[_gtOrder[m]].Id != 0) matched[d] |= bit;
                    taken[m] = true;
                }
            }
        }

        /// <summary>IoU of each kept detection (score order) with each ground truth (input order): pycocotools' bbIou.</summary>
        private void ComputeIou(ReadOnlySpan<GtBox> gts, ReadOnlySpan<DtBox> dts, int nd)
        {
            int g = gts.Length;
            Grow(ref _iou, nd * g);
            for (int d = 0; d < nd; d++)
            {
                ref readonly var dt = ref dts[_ranked[d].Position];
                var row = _iou.AsSpan(d * g, g);
                for (int j = 0; j < g; j++) row[j] = BoxIou.Coco(dt.X, dt.Y, dt.W, dt.H, gts[j].X, gts[j].Y, gts[j].W, gts[j].H, gts[j].Crowd);
            }
        }

        private void Accumulate(int k, EvaluationArrays arrays)
        {
            int n = _count;
            Grow(ref _byScore, n);
            for (int e = 0; e < n; e++) _byScore[e] = new Ranked(_score[e], e);
            // Stable by score over the concatenation (images ascending, then rank): numpy's mergesort of -score.
            _byScore.AsSpan(0, n).Sort(new ByScoreThenPosition());
            Grow(ref _kept, n);
            Grow(ref _rc, n);
            Grow(ref _pr, n);
            int areas = _areas.Length;
            for (int a = 0; a < areas; a++)
            {
                int npig = _npig[a];
                if (npig == 0) continue;  // no ground truth to find: precision and recall stay −1
                int previous = -1;
                for (int m = 0; m < _maxDets.Length; m++)
                {
                    int nd = 0;
                    for (int e = 0; e < n; e++)
                        if (_rank[_byScore[e].Position] < _maxDets[m]) _kept[nd++] = _byScore[e].Position;
                    // A larger limit that keeps no more detections (no cell has more) gives the same curves.
                    if (nd == previous) arrays.CopyMaxDets(k, a, m - 1, m);
                    else
                        for (int t = 0; t < _iouThr.Length; t++)
                            Curve(k, a, m, t, npig, nd, arrays);
                    previous = nd;
                }
            }
        }

        /// <summary>Precision at the 101 recall points and the final recall for one (category, area, maxDets, IoU).</summary>
        private void Curve(int k, int a, int m, int t, int npig, int nd, EvaluationArrays arrays)
        {
            int bit = 1 << t;
            double tp = 0, fp = 0;
            for (int i = 0; i < nd; i++)
            {
                int at = (_kept[i] * _areas.Length + a) * 2;
                if ((_masks[at + 1] & bit) == 0)
                {
                    if ((_masks[at] & bit) != 0) tp++;
                    else fp++;
                }
                else if (i > 0)
                {
                    // Ignored: the counts did not move, so neither do recall and precision (saves two divisions).
                    _rc[i] = _rc[i - 1];
                    _pr[i] = _pr[i - 1];
                    continue;
                }
                _rc[i] = tp / npig;
                _pr[i] = tp / (fp + tp + NumpyEps);
            }
            arrays.SetRecall(t, k, a, m, nd > 0 ? _rc[nd - 1] : 0);
            // Precision envelope: each point takes the best precision at any higher recall.
            for (int i = nd - 1; i > 0; i--)
                if (_pr[i] > _pr[i - 1]) _pr[i - 1] = _pr[i];
            // np.searchsorted(rc, recThrs, 'left'): the first rank reaching each recall point; none → 0.
            int pos = 0;
            for (int r = 0; r < _recThr.Length; r++)
            {
                while (pos < nd && _rc[pos] < _recThr[r]) pos++;
                arrays.SetPrecision(t, r, k, a, m, pos < nd ? _pr[pos] : 0);
            }
        }

        private void Reserve(int n)
        {
            if (n <= _score.Length) return;
            int size = Math.Max(n, _score.Length * 2);
            Array.Resize(ref _score, size);
            Array.Resize(ref _rank, size);
            Array.Resize(ref _masks, size * _areas.Length * 2);
        }

        private static void Grow<T>(ref T[] buffer, int n)
        {
            if (n > buffer.Length) buffer = new T[Math.Max(n, buffer.Length * 2)];
        }
    }
}
