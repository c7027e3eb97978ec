using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's Box2BoxTransform: deltas (dx, dy, dw, dh) between XYXY boxes, divided by weights
/// (wx, wy, ww, wh), centre offsets relative to the source size and log size ratios; dw and dh are
/// clamped to <see cref="ScaleClamp"/> before exp when decoding. The RPN uses weights (1, 1, 1, 1).
/// </summary>
public sealed class Box2BoxTransform
{
    /// <summary>log(1000 / 16): no box grows more than 62.5× its anchor in one decode.</summary>
    public static readonly double DefaultScaleClamp = Math.Log(1000.0 / 16);

    public Box2BoxTransform(double wx = 1, double wy = 1, double ww = 1, double wh = 1, double? scaleClamp = null)
    {
        Weights = (wx, wy, ww, wh);
        ScaleClamp = scaleClamp ?? DefaultScaleClamp;
    }

    public static Box2BoxTransform Rpn { get; } = new();

    public (double wx, double wy, double ww, double wh) Weights { get; }
    public double ScaleClamp { get; }

    /// <summary>
    /// Decodes deltas [K, 4·k] against boxes [K, 4] → [K, 4·k] boxes, in float32, with detectron2's
    /// operation order (so results match it bit for bit on the same libtorch).
    /// </summary>
    public Tensor ApplyDeltas(Tensor deltas, Tensor boxes)
    {
        if (deltas.ndim != 2 || deltas.size(1) % 4 != 0 || boxes.ndim != 2 || boxes.size(1) != 4 || deltas.size(0) != boxes.size(0))
            throw new ArgumentException($"Box2BoxTransform.ApplyDeltas: deltas must be [K, 4k] and boxes [K, 4]; got [{string.Join(", ", deltas.shape)}] and [{string.Join(", ", boxes.shape)}]");
        using var scope = torch.NewDisposeScope();
        var d = deltas.to(ScalarType.Float32);
        var b = boxes.to(ScalarType.Float32);
        var widths = b.select(1, 2) - b.select(1, 0);
        var heights = b.select(1, 3) - b.select(1, 1);
        var ctrX = b.select(1, 0) + 0.5 * widths;
        var ctrY = b.select(1, 1) + 0.5 * heights;
        var (wx, wy, ww, wh) = Weights;
        long cols = d.size(1);
        var dx = d.slice(1, 0, cols, 4) / wx;
        var dy = d.slice(1, 1, cols, 4) / wy;
        var dw = (d.slice(1, 2, cols, 4) / ww).clamp_max(ScaleClamp);
        var dh = (d.slice(1, 3, cols, 4) / wh).clamp_max(ScaleClamp);
        Tensor w1 = widths.unsqueeze(1), h1 = heights.unsqueeze(1);
        var predCtrX = dx * w1 + ctrX.unsqueeze(1);
        var predCtrY = dy * h1 + ctrY.unsqueeze(1);
        var predW = dw.exp() * w1;
        var predH = dh.exp() * h1;
        var x1 = predCtrX - 0.5 * predW;
        var y1 = predCtrY - 0.5 * predH;
        var x2 = predCtrX + 0.5 * predW;
        var y2 = predCtrY + 0.5 * predH;
        return torch.stack([x1, y1, x2, y2], -1).reshape(d.shape).MoveToOuterScope();   // [K, k, 4] -> [K, 4k]
    }

    /// <summary>
    /// Encodes the deltas [K, 4] that take <paramref name="sources"/> [K, 4] to <paramref name="targets"/> [K, 4]
    /// (the regression targets of training). Source boxes must have positive width and height.
    /// </summary>
    public Tensor GetDeltas(Tensor sources, Tensor targets)
    {
        if (sources.ndim != 2 || sources.size(1) != 4 || !sources.shape.AsSpan().SequenceEqual(targets.shape))
            throw new ArgumentException($"Box2BoxTransform.GetDeltas: sources and targets must both be [K, 4]; got [{string.Join(", ", sources.shape)}] and [{string.Join(", ", targets.shape)}]");
        using var scope = torch.NewDisposeScope();
        var (wx, wy, ww, wh) = Weights;
        var srcW = sources.select(1, 2) - sources.select(1, 0);
        var srcH = sources.select(1, 3) - sources.select(1, 1);
        var srcX = sources.select(1, 0) + 0.5 * srcW;
        var srcY = sources.select(1, 1) + 0.5 * srcH;
        var tgtW = targets.select(1, 2) - targets.select(1, 0);
        var tgtH = targets.select(1, 3) - targets.select(1, 1);
        var tgtX = targets.select(1, 0) + 0.5 * tgtW;
        var tgtY = targets.select(1, 1) + 0.5 * tgtH;
        var dx = wx * (tgtX - srcX) / srcW;
        var dy = wy * (tgtY - srcY) / srcH;
        var dw = ww * (tgtW / srcW).log();
        var dh = wh * (tgtH / srcH).log();
        return torch.stack([dx, dy, dw, dh], 1).MoveToOuterScope();
    }
}
