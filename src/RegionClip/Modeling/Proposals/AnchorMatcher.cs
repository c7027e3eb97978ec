using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's <c>Matcher</c> as its RPN configures it (IOU_THRESHOLDS [0.3, 0.7], IOU_LABELS
/// [0, −1, 1], allow_low_quality_matches): each anchor takes the ground-truth box it overlaps most;
/// best IoU &lt; 0.3 → 0 (background), in [0.3, 0.7) → −1 (ignored), ≥ 0.7 → 1 (foreground); then
/// every anchor that is some box's best match (ties included) is foreground, so no box goes unmatched.
/// </summary>
public sealed class AnchorMatcher
{
    public AnchorMatcher(double backgroundBelow = 0.3, double foregroundFrom = 0.7, bool allowLowQualityMatches = true)
    {
        if (!(backgroundBelow >= 0 && backgroundBelow <= foregroundFrom && foregroundFrom <= 1))
            throw new ArgumentException($"IoU thresholds must satisfy 0 ≤ background ({backgroundBelow}) ≤ foreground ({foregroundFrom}) ≤ 1");
        BackgroundBelow = backgroundBelow;
        ForegroundFrom = foregroundFrom;
        AllowLowQualityMatches = allowLowQualityMatches;
    }

    public double BackgroundBelow { get; }
    public double ForegroundFrom { get; }
    public bool AllowLowQualityMatches { get; }

    /// <summary>
    /// IoU matrix [G, A] (boxes × anchors) → each anchor's matched box index [A] (int64; 0 when there
    /// is no box) and its label [A] (int64: 1, 0 or −1). With no boxes every anchor is background.
    /// </summary>
    public (Tensor matches, Tensor labels) Match(Tensor quality)
    {
        ArgumentNullException.ThrowIfNull(quality);
        if (quality.ndim != 2) throw new ArgumentException($"the match quality matrix must be [boxes, anchors], got [{string.Join(", ", quality.shape)}]");
        using var scope = torch.NewDisposeScope();
        long anchors = quality.size(1);
        if (quality.size(0) == 0)
            return (torch.zeros([anchors], ScalarType.Int64).MoveToOuterScope(), torch.zeros([anchors], ScalarType.Int64).MoveToOuterScope());
        var (best, matches) = quality.max(0);
        var labels = torch.ones([anchors], ScalarType.Int64);
        labels.masked_fill_(best.lt(ForegroundFrom), -1);
        labels.masked_fill_(best.lt(BackgroundBelow), 0);
        if (AllowLowQualityMatches)
        {
            var (highest, _) = quality.max(1);                                    // each box's best IoU
            var tied = quality.eq(highest.unsqueeze(1)).nonzero().select(1, 1);  // every anchor reaching it
            labels.index_fill_(1, tied);
        }
        return (matches.MoveToOuterScope(), labels.MoveToOuterScope());
    }
}
