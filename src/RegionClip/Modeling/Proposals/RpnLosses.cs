using RegionClip.Structures;
using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Proposals;

/// <summary>The two RPN losses of a batch (scalar tensors, differentiable) and their weighted sum.</summary>
public sealed record RpnLossValues(Tensor Objectness, Tensor Box, Tensor Total) : IDisposable
{
    public void Dispose()
    {
        Objectness.Dispose();
        Box.Dispose();
        Total.Dispose();
    }
}

/// <summary>
/// detectron2's <c>RPN.losses</c> with the default "smooth_l1" box loss at SMOOTH_L1_BETA 0 (an L1
/// loss): objectness = Σ binary cross-entropy with logits over the sampled anchors (labels ≥ 0),
/// box = Σ |predicted − target deltas| over the foreground anchors, targets from
/// <see cref="Box2BoxTransform.GetDeltas"/> (weights 1, 1, 1, 1); both divided by
/// images × BATCH_SIZE_PER_IMAGE, then weighted (LOSS_WEIGHT, BBOX_REG_LOSS_WEIGHT, 1.0 each).
/// </summary>
public static class RpnLosses
{
    /// <param name="logits">Objectness logits [N, R].</param>
    /// <param name="deltas">Predicted anchor deltas [N, R, 4].</param>
    /// <param name="anchors">The anchors [R, 4].</param>
    public static RpnLossValues Compute(Tensor logits, Tensor deltas, Tensor anchors, RpnTargets targets, int batchSizePerImage,
        double objectnessWeight = 1.0, double boxWeight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(targets);
        long n = logits.size(0), r = logits.size(1);
        if (logits.ndim != 2 || deltas.ndim != 3 || deltas.size(0) != n || deltas.size(1) != r || deltas.size(2) != 4
            || anchors.ndim != 2 || anchors.size(0) != r || !targets.Labels.shape.AsSpan().SequenceEqual(logits.shape))
            throw new ArgumentException($"RPN losses need logits [N, R], deltas [N, R, 4], anchors [R, 4] and labels [N, R]; got [{string.Join(", ", logits.shape)}], "
                + $"[{string.Join(", ", deltas.shape)}], [{string.Join(", ", anchors.shape)}], [{string.Join(", ", targets.Labels.shape)}]");
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSizePerImage, 1);
        using var scope = torch.NewDisposeScope();
        // Targets of the foreground anchors only (the others' matched boxes are placeholders); per row
        // they are the same numbers as detectron2's encode-everything-then-mask.
        var foreground = targets.Labels.eq(1).flatten().nonzero().flatten();
        var fgAnchors = anchors.detach().unsqueeze(0).expand(n, r, 4).reshape(-1, 4).index_select(0, foreground);
        var fgBoxes = targets.MatchedBoxes.reshape(-1, 4).index_select(0, foreground);
        var targetDeltas = Box2BoxTransform.Rpn.GetDeltas(fgAnchors, fgBoxes);
        var box = (deltas.reshape(-1, 4).index_select(0, foreground) - targetDeltas).abs().sum();
        var sampled = targets.Labels.ge(0).flatten().nonzero().flatten();
        var objectness = F.binary_cross_entropy_with_logits(logits.flatten().index_select(0, sampled),
            targets.Labels.flatten().index_select(0, sampled).to(ScalarType.Float32), reduction: Torch.nn.Reduction.Sum);
        double normalizer = (double)batchSizePerImage * n;
        var obj = objectness / normalizer * objectnessWeight;
        var loc = box / normalizer * boxWeight;
        var total = obj + loc;
        return new RpnLossValues(obj.MoveToOuterScope(), loc.MoveToOuterScope(), total.MoveToOuterScope());
    }
}
