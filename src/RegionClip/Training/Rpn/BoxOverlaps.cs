using RegionClip.Torch;

namespace RegionClip.Training.Rpn;

/// <summary>detectron2's <c>pairwise_iou</c>: the IoU used to match anchors and to score proposals.</summary>
public static class BoxOverlaps
{
    /// <summary>
    /// IoU of every pair of XYXY boxes [N, 4] × [M, 4] → [N, M] float32. Pairs that do not intersect
    /// get exactly 0 (detectron2's <c>torch.where(inter &gt; 0, …, 0)</c>), so degenerate boxes give 0, not NaN.
    /// </summary>
    public static Tensor Iou(Tensor boxes1, Tensor boxes2)
    {
        Check(boxes1, nameof(boxes1));
        Check(boxes2, nameof(boxes2));
        using var scope = torch.NewDisposeScope();
        var area1 = (boxes1.select(1, 2) - boxes1.select(1, 0)) * (boxes1.select(1, 3) - boxes1.select(1, 1));
        var area2 = (boxes2.select(1, 2) - boxes2.select(1, 0)) * (boxes2.select(1, 3) - boxes2.select(1, 1));
        var b1 = boxes1.unsqueeze(1);                                                          // [N, 1, 4]
        var wh = b1.slice(2, 2, 4).minimum(boxes2.slice(1, 2, 4)) - b1.slice(2, 0, 2).maximum(boxes2.slice(1, 0, 2));
        wh.clamp_min_(0);
        var inter = wh.prod(2);                                                                 // [N, M]
        var iou = inter / (area1.unsqueeze(1) + area2 - inter);
        return torch.where(inter.gt(0), iou, torch.zeros([1], inter.dtype)).MoveToOuterScope();
    }

    private static void Check(Tensor boxes, string name)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        if (boxes.ndim != 2 || boxes.size(1) != 4)
            throw new ArgumentException($"{name} must be XYXY boxes [K, 4], got [{string.Join(", ", boxes.shape)}]", name);
    }
}
