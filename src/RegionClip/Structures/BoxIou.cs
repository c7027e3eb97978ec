using RegionClip.Torch;

namespace RegionClip.Structures;

/// <summary>
/// Intersection over union, in the two forms this project needs; they differ on purpose, each matching
/// the reference its users are compared with:
/// <list type="bullet">
/// <item><see cref="Pairwise"/> is detectron2's <c>pairwise_iou</c> on XYXY tensors: pairs that do not
/// intersect are exactly 0, so degenerate boxes give 0, not NaN. Anchor matching (RPN training),
/// proposal recall and region–box matching use it.</item>
/// <item><see cref="Coco"/> is pycocotools' <c>bbIou</c> on (x, y, w, h) doubles, where a crowd box's
/// union is the detection's own area. COCO/LVIS evaluation uses it, operation for operation.</item>
/// </list>
/// The binding's <c>ops.box_iou</c> is torchvision's (0/0 is NaN); nothing in the library uses it,
/// it stays for parity with torchvision code.
/// </summary>
public static class BoxIou
{
    /// <summary>IoU of every pair of XYXY boxes [N, 4] × [M, 4] → [N, M] float32, detectron2's rule (0 where boxes do not meet).</summary>
    public static Tensor Pairwise(Tensor boxes1, Tensor boxes2)
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

    /// <summary>
    /// pycocotools' IoU of a detection with a ground truth, boxes as (x, y, width, height). Against a crowd
    /// box the union is the detection's own area, so a detection inside a crowd region scores its full overlap.
    /// </summary>
    public static double Coco(double dx, double dy, double dw, double dh, double gx, double gy, double gw, double gh, bool crowd)
    {
        double w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
        if (w <= 0) return 0;
        double h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
        if (h <= 0) return 0;
        double inter = w * h;
        double detArea = dw * dh;
        double union = crowd ? detArea : detArea + gw * gh - inter;
        return inter / union;
    }

    private static void Check(Tensor boxes, string name)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        if (boxes.ndim != 2 || boxes.size(1) != 4)
            throw new ArgumentException($"{name} must be XYXY boxes [K, 4], got [{string.Join(", ", boxes.shape)}]", name);
    }
}
