using RegionClip.Modeling.Detection;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Training.Transfer;

/// <summary>
/// The box predictor's losses in transfer learning (RegionCLIP's FastRCNNOutputLayers.losses, SPEC §7.4).
/// Both normalisers count the sampled RoIs of the whole batch.
/// </summary>
public static class FastRcnnLosses
{
    /// <summary>
    /// loss_cls over logits [R, K + 1] (background last) and classes [R] (K = background).
    /// <see cref="ClassificationLoss.Focal"/>: CE · (1 − p_t)^γ, background RoIs weighted, plain mean; the factor is
    /// differentiated as the official code does, with 1 − p_t kept above 1e-12 so that p_t = 1 in float32 gives a
    /// zero gradient, not NaN. <see cref="ClassificationLoss.Weighted"/>: cross-entropy with class weights (1, …, 1,
    /// background weight), mean weighted by the targets' weights (PyTorch's rule).
    /// </summary>
    public static Tensor Classification(Tensor logits, Tensor classes, ClassificationLoss kind, double gamma, double backgroundWeight)
    {
        if (logits.ndim != 2 || classes.ndim != 1 || classes.size(0) != logits.size(0))
            throw new ArgumentException($"logits must be [R, K + 1] and classes [R]; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", classes.shape)}]");
        using var scope = torch.NewDisposeScope();
        long background = logits.size(1) - 1;
        if (logits.size(0) == 0) return (logits.sum() * 0).MoveToOuterScope();   // keeps the graph connected
        if (kind == ClassificationLoss.Weighted)
        {
            var values = Enumerable.Repeat(1f, (int)logits.size(1)).ToArray();
            values[background] = (float)backgroundWeight;
            return F.cross_entropy(logits, classes, torch.tensor(values, values.Length)).MoveToOuterScope();
        }
        var ce = F.cross_entropy(logits, classes, reduction: Reduction.None);
        var loss = ce;
        if (gamma != 0)
        {
            var pt = F.softmax(logits, 1).gather(1, classes.unsqueeze(1)).squeeze(1);
            loss = ce * (1 - pt).clamp_min(1e-12).pow(gamma);
        }
        if (backgroundWeight != 1)
        {
            var w = torch.where(classes.eq(background), torch.scalar_tensor(backgroundWeight, loss.dtype), torch.scalar_tensor(1, loss.dtype));
            loss = loss * w;
        }
        return loss.mean().MoveToOuterScope();
    }

    /// <summary>
    /// loss_box_reg: class-agnostic deltas [R, 4] of the foreground RoIs (classes &lt; K) against the deltas taking each
    /// proposal to its matched box, L1 summed over RoIs and coordinates, divided by the number of sampled RoIs R.
    /// </summary>
    public static Tensor BoxRegression(Tensor deltas, Tensor proposals, Tensor matched, Tensor classes, int numClasses)
    {
        if (deltas.ndim != 2 || deltas.size(1) != 4 || proposals.size(0) != deltas.size(0) || matched.size(0) != deltas.size(0) || classes.size(0) != deltas.size(0))
            throw new ArgumentException($"deltas, proposals and matched boxes must all be [R, 4] with classes [R]; got [{string.Join(", ", deltas.shape)}], [{string.Join(", ", proposals.shape)}], [{string.Join(", ", matched.shape)}], [{string.Join(", ", classes.shape)}]");
        using var scope = torch.NewDisposeScope();
        long total = Math.Max(deltas.size(0), 1);
        var foreground = classes.ge(0).logical_and(classes.lt(numClasses)).nonzero().squeeze(1);
        var targets = BoxPredictor.BoxTransform.GetDeltas(proposals.index_select(0, foreground), matched.index_select(0, foreground));
        var l1 = (deltas.index_select(0, foreground) - targets).abs().sum();
        return (l1 / total).MoveToOuterScope();
    }
}
