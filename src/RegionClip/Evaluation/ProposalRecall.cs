using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Evaluation;

/// <summary>Ground-truth boxes found (covered at the IoU threshold) out of all.</summary>
public sealed record RecallCount(int Found, int Total)
{
    /// <summary>Found / Total; NaN when there is no box.</summary>
    public double Recall => Total == 0 ? double.NaN : (double)Found / Total;
}

/// <summary>Recall with the best <paramref name="K"/> proposals per image, over all boxes and by base / novel category.</summary>
public sealed record RecallAtK(int K, RecallCount All, RecallCount Base, RecallCount Novel);

/// <summary>Proposal recall of a set of images at one IoU threshold, for several proposal counts.</summary>
public sealed record ProposalRecall(int Images, double Iou, IReadOnlyList<RecallAtK> AtK)
{
    public RecallAtK At(int k) => AtK.FirstOrDefault(r => r.K == k) ?? throw new KeyNotFoundException($"recall was not computed at {k} proposals (only at {string.Join(", ", AtK.Select(r => r.K))})");
}

/// <summary>
/// Accumulates proposal recall as detectron2's <c>_evaluate_box_proposals</c> measures it: per image,
/// the best k proposals and the ground truth are paired one to one, greedily — repeatedly the box
/// whose best remaining proposal overlaps it most takes that proposal, and both leave the pool — and
/// a box counts as found when its pair's IoU reaches the threshold. Base and novel boxes are paired
/// together (they compete for the same proposals) and counted apart.
/// </summary>
public sealed class ProposalRecallAccumulator
{
    private readonly int[] _ks;
    private readonly int[,] _found;   // [k, group: 0 all, 1 base, 2 novel]
    private readonly int[] _total = new int[3];

    public ProposalRecallAccumulator(IReadOnlyList<int> ks, double iou)
    {
        ArgumentNullException.ThrowIfNull(ks);
        if (ks.Count == 0 || ks.Any(k => k < 1)) throw new ArgumentException($"proposal counts must be positive, got [{string.Join(", ", ks)}]");
        if (!(iou > 0 && iou <= 1)) throw new ArgumentOutOfRangeException(nameof(iou), iou, "the IoU threshold must be in (0, 1]");
        _ks = [.. ks];
        _found = new int[_ks.Length, 3];
        Iou = iou;
    }

    public double Iou { get; }
    public int Images { get; private set; }

    /// <param name="proposals">The image's proposals [R, 4], best first, in the same pixels as <paramref name="gtBoxes"/>.</param>
    /// <param name="gtBoxes">Ground-truth XYXY boxes.</param>
    /// <param name="novel">Per box: whether its category is novel.</param>
    public void Add(Tensor proposals, IReadOnlyList<double[]> gtBoxes, IReadOnlyList<bool> novel)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        if (gtBoxes.Count != novel.Count) throw new ArgumentException($"{gtBoxes.Count} boxes but {novel.Count} novel flags");
        if (proposals.ndim != 2 || proposals.size(1) != 4) throw new ArgumentException($"proposals must be [R, 4], got [{string.Join(", ", proposals.shape)}]");
        Images++;
        int g = gtBoxes.Count;
        foreach (var n in novel) { _total[0]++; _total[n ? 2 : 1]++; }
        if (g == 0) return;
        int r = (int)proposals.size(0);
        float[] overlaps;
        using (var scope = torch.NewDisposeScope())
        {
            var gt = torch.tensor(gtBoxes.SelectMany(b => b.Select(v => (float)v)).ToArray(), g, 4);
            overlaps = BoxIou.Pairwise(proposals.to(ScalarType.Float32), gt).data<float>();   // [R, G] row-major
        }
        for (int ki = 0; ki < _ks.Length; ki++)
        {
            var covered = GreedyCoverage(overlaps, Math.Min(r, _ks[ki]), g);
            for (int j = 0; j < g; j++)
            {
                if (covered[j] < Iou) continue;
                _found[ki, 0]++;
                _found[ki, novel[j] ? 2 : 1]++;
            }
        }
    }

    /// <summary>Each box's IoU with the proposal it is paired with (0 when unpaired), over the first <paramref name="p"/> rows.</summary>
    private static double[] GreedyCoverage(float[] overlaps, int p, int g)
    {
        var o = new double[p * g];
        for (int i = 0; i < o.Length; i++) o[i] = overlaps[i];
        var covered = new double[g];
        for (int step = 0; step < Math.Min(p, g); step++)
        {
            // For each box its best proposal; then the box covered best (first on ties, as torch.max).
            int bestBox = -1, bestProposal = -1;
            double best = double.NegativeInfinity;
            for (int j = 0; j < g; j++)
            {
                int arg = -1;
                double max = double.NegativeInfinity;
                for (int i = 0; i < p; i++)
                    if (o[i * g + j] > max) { max = o[i * g + j]; arg = i; }
                if (max > best) { best = max; bestBox = j; bestProposal = arg; }
            }
            covered[bestBox] = o[bestProposal * g + bestBox];
            for (int j = 0; j < g; j++) o[bestProposal * g + j] = -1;
            for (int i = 0; i < p; i++) o[i * g + bestBox] = -1;
        }
        return covered;
    }

    public ProposalRecall Result() => new(Images, Iou, _ks.Select((k, ki) => new RecallAtK(k,
        new RecallCount(_found[ki, 0], _total[0]), new RecallCount(_found[ki, 1], _total[1]), new RecallCount(_found[ki, 2], _total[2]))).ToArray());
}
