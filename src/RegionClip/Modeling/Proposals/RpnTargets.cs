using RegionClip.Common;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Training targets of a batch (detectron2's <c>RPN.label_and_sample_anchors</c>): per image, the
/// anchors' labels after matching and sampling [N, R] (int64: 1, 0, −1) and each anchor's matched
/// ground-truth box [N, R, 4] (zeros for an image without boxes; meaningful only where the label is 1).
/// Owns both tensors.
/// </summary>
public sealed record RpnTargets(Tensor Labels, Tensor MatchedBoxes) : IDisposable
{
    /// <summary>Matches every image's boxes to the anchors, then samples each image's labels.</summary>
    /// <param name="anchors">All anchors of the batch's (padded) input [R, 4], in the head's order.</param>
    /// <param name="gtBoxes">Per image, XYXY boxes [Gi, 4] in input pixels (may be empty).</param>
    /// <param name="sampler">Null keeps every matched label (no sampling); tests use it to inject labels.</param>
    public static RpnTargets Compute(Tensor anchors, IReadOnlyList<Tensor> gtBoxes, AnchorMatcher matcher, AnchorSampler? sampler, Func<int, Prng>? rngOfImage = null)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(gtBoxes);
        ArgumentNullException.ThrowIfNull(matcher);
        if (sampler is not null && rngOfImage is null) throw new ArgumentException("sampling needs a random stream per image", nameof(rngOfImage));
        using var scope = torch.NewDisposeScope();
        var labels = new Tensor[gtBoxes.Count];
        var matched = new Tensor[gtBoxes.Count];
        for (int i = 0; i < gtBoxes.Count; i++)
        {
            var gt = gtBoxes[i].to(ScalarType.Float32);
            if (gt.ndim != 2 || gt.size(1) != 4) throw new ArgumentException($"image {i}: ground-truth boxes must be [G, 4], got [{string.Join(", ", gt.shape)}]");
            var (matches, imageLabels) = matcher.Match(BoxIou.Pairwise(gt, anchors));
            labels[i] = sampler is null ? imageLabels : sampler.Sample(imageLabels, rngOfImage!(i));
            matched[i] = gt.size(0) == 0 ? torch.zeros_like(anchors) : gt.index_select(0, matches);
        }
        return new RpnTargets(torch.stack(labels).MoveToOuterScope(), torch.stack(matched).MoveToOuterScope());
    }

    public void Dispose()
    {
        Labels.Dispose();
        MatchedBoxes.Dispose();
    }
}
