using RegionClip.Common;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Training.Transfer;

/// <summary>One image's sampled RoIs with their training targets (input pixels). Owns its tensors.</summary>
/// <param name="Boxes">[S, 4] the sampled proposals (foreground first).</param>
/// <param name="Classes">[S] int64: the matched ground truth's class, or K (background).</param>
/// <param name="MatchedBoxes">[S, 4] the matched ground-truth box (for background: the proposal itself, never used).</param>
public sealed record SampledRois(Tensor Boxes, Tensor Classes, Tensor MatchedBoxes, int Foreground) : IDisposable
{
    public long Count => Boxes.size(0);

    public void Dispose()
    {
        Boxes.Dispose();
        Classes.Dispose();
        MatchedBoxes.Dispose();
    }
}

/// <summary>
/// detectron2's ROIHeads.label_and_sample_proposals as RegionCLIP's transfer configs set it: the ground-truth
/// boxes appended to the proposals (PROPOSAL_APPEND_GT), each proposal matched to the box it overlaps most,
/// foreground from IoU <see cref="IouThreshold"/> (no low-quality matches), else background (class K); then
/// at most ⌊<see cref="PerImage"/> · <see cref="PositiveFraction"/>⌋ foreground and background up to
/// <see cref="PerImage"/>, each drawn uniformly without replacement (with the project's seeded generator,
/// so a resumed run draws the same RoIs). An image without ground truth gives background only.
/// </summary>
public sealed class RoiSampler(int perImage = 512, double positiveFraction = 0.25, double iouThreshold = 0.5, bool appendGroundTruth = true)
{
    public int PerImage { get; } = perImage >= 1 ? perImage : throw new ArgumentOutOfRangeException(nameof(perImage), perImage, "RoIs per image must be at least 1");
    public double PositiveFraction { get; } = positiveFraction is >= 0 and <= 1 ? positiveFraction : throw new ArgumentOutOfRangeException(nameof(positiveFraction), positiveFraction, "must be in [0, 1]");
    public double IouThreshold { get; } = iouThreshold is > 0 and <= 1 ? iouThreshold : throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "must be in (0, 1]");
    public bool AppendGroundTruth { get; } = appendGroundTruth;

    /// <param name="proposals">[P, 4] in input pixels.</param>
    /// <param name="gtBoxes">[G, 4] in input pixels.</param>
    /// <param name="gtClasses">[G] int64 in 0..K−1.</param>
    /// <param name="numClasses">K, the number of training classes (the background label).</param>
    public SampledRois Sample(Tensor proposals, Tensor gtBoxes, Tensor gtClasses, int numClasses, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (proposals.ndim != 2 || proposals.size(1) != 4) throw new ArgumentException($"proposals must be [P, 4], got [{string.Join(", ", proposals.shape)}]");
        if (gtBoxes.ndim != 2 || gtBoxes.size(1) != 4 || gtClasses.ndim != 1 || gtClasses.size(0) != gtBoxes.size(0))
            throw new ArgumentException($"ground truth must be boxes [G, 4] and classes [G]; got [{string.Join(", ", gtBoxes.shape)}] and [{string.Join(", ", gtClasses.shape)}]");
        using var scope = torch.NewDisposeScope();
        var boxes = proposals.to(ScalarType.Float32);
        var gt = gtBoxes.to(ScalarType.Float32);
        if (AppendGroundTruth && gt.size(0) > 0) boxes = torch.cat([boxes, gt]);
        long count = boxes.size(0);
        Tensor classes, matched;
        if (gt.size(0) == 0 || count == 0)
        {
            classes = torch.full([count], numClasses, ScalarType.Int64);
            matched = boxes;
        }
        else
        {
            var (best, index) = BoxIou.Pairwise(gt, boxes).max(0);
            classes = gtClasses.to(ScalarType.Int64).index_select(0, index);
            classes.masked_fill_(best.lt(IouThreshold), numClasses);
            matched = gt.index_select(0, index);
        }

        var labels = classes.data<long>().ToArray();
        var positive = new List<int>();
        var negative = new List<int>();
        for (int i = 0; i < labels.Length; i++) (labels[i] == numClasses ? negative : positive).Add(i);
        int numPos = Math.Min(positive.Count, (int)(PerImage * PositiveFraction));
        int numNeg = Math.Min(negative.Count, PerImage - numPos);
        var chosen = Draw(positive, numPos, rng).Concat(Draw(negative, numNeg, rng)).Select(i => (long)i).ToArray();
        var keep = torch.tensor(chosen, chosen.Length);
        return new SampledRois(boxes.index_select(0, keep).MoveToOuterScope(), classes.index_select(0, keep).MoveToOuterScope(),
            matched.index_select(0, keep).MoveToOuterScope(), numPos);
    }

    /// <summary>The first <paramref name="count"/> items of a uniform random permutation (partial Fisher–Yates); all of them, in order, when none is left out.</summary>
    private static List<int> Draw(List<int> items, int count, Prng rng)
    {
        if (count >= items.Count) return items;
        var result = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(items.Count - i);
            (items[i], items[j]) = (items[j], items[i]);
            result.Add(items[i]);
        }
        return result;
    }
}
