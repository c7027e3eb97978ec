namespace RegionClip.Torch.Vision;

public static partial class ops
{
    /// <summary>torchvision.ops.box_area: (x2 - x1) * (y2 - y1) of XYXY boxes [N, 4] → [N].</summary>
    public static Tensor box_area(Tensor boxes)
    {
        CheckBoxes(boxes, nameof(boxes), "ops.box_area");
        using var scope = torch.NewDisposeScope();
        var b = Upcast(boxes);
        return ((b.select(1, 2) - b.select(1, 0)) * (b.select(1, 3) - b.select(1, 1))).MoveToOuterScope();
    }

    /// <summary>torchvision.ops.box_iou: IoU of every pair of XYXY boxes [N, 4] × [M, 4] → [N, M] (0/0 is NaN, as torchvision).</summary>
    public static Tensor box_iou(Tensor boxes1, Tensor boxes2)
    {
        CheckBoxes(boxes1, nameof(boxes1), "ops.box_iou");
        CheckBoxes(boxes2, nameof(boxes2), "ops.box_iou");
        using var scope = torch.NewDisposeScope();
        var area1 = box_area(boxes1);
        var area2 = box_area(boxes2);
        var b1 = boxes1.unsqueeze(1);                                          // [N, 1, 4]
        var lt = b1.slice(2, 0, 2).maximum(boxes2.slice(1, 0, 2));             // [N, M, 2]
        var rb = b1.slice(2, 2, 4).minimum(boxes2.slice(1, 2, 4));             // [N, M, 2]
        var wh = Upcast(rb - lt).clamp_min(0);
        var inter = wh.select(2, 0) * wh.select(2, 1);                         // [N, M]
        var union = area1.unsqueeze(1) + area2 - inter;
        return (inter / union).MoveToOuterScope();
    }

    /// <summary>torchvision.ops.clip_boxes_to_image: clamps x to [0, w] and y to [0, h] of boxes [..., 4].</summary>
    public static Tensor clip_boxes_to_image(Tensor boxes, (long h, long w) size)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var shape = boxes.shape;
        if (shape.Length == 0 || shape[^1] != 4)
            throw new ArgumentException($"ops.clip_boxes_to_image: boxes must be [..., 4] (x1, y1, x2, y2); got {Describe(boxes)}", nameof(boxes));
        using var scope = torch.NewDisposeScope();
        var x = boxes.slice(-1, 0, 4, 2).clamp(0, size.w);
        var y = boxes.slice(-1, 1, 4, 2).clamp(0, size.h);
        return torch.stack([x, y], shape.Length).reshape(shape).MoveToOuterScope(); // [..., 2, (x, y)] -> [..., 4]
    }

    /// <summary>torchvision.ops.remove_small_boxes: int64 indices of the boxes [N, 4] whose width and height are both &gt;= min_size.</summary>
    public static Tensor remove_small_boxes(Tensor boxes, double min_size)
    {
        CheckBoxes(boxes, nameof(boxes), "ops.remove_small_boxes");
        using var scope = torch.NewDisposeScope();
        var ws = boxes.select(1, 2) - boxes.select(1, 0);
        var hs = boxes.select(1, 3) - boxes.select(1, 1);
        var keep = ws.ge(min_size).logical_and(hs.ge(min_size));
        return keep.nonzero().flatten().MoveToOuterScope();
    }

    /// <summary>
    /// torchvision.ops.box_convert between "xyxy" (corners), "xywh" (corner + size) and "cxcywh"
    /// (centre + size), on boxes [..., 4]. Converting to the same format returns a copy.
    /// </summary>
    public static Tensor box_convert(Tensor boxes, string in_fmt, string out_fmt)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        CheckFormat(in_fmt, nameof(in_fmt));
        CheckFormat(out_fmt, nameof(out_fmt));
        var shape = boxes.shape;
        if (shape.Length == 0 || shape[^1] != 4)
            throw new ArgumentException($"ops.box_convert: boxes must be [..., 4]; got {Describe(boxes)}", nameof(boxes));
        if (in_fmt == out_fmt) return boxes.clone();
        using var scope = torch.NewDisposeScope();
        var xyxy = in_fmt switch
        {
            "xywh" => XywhToXyxy(boxes),
            "cxcywh" => CxcywhToXyxy(boxes),
            _ => boxes,
        };
        var result = out_fmt switch
        {
            "xywh" => XyxyToXywh(xyxy),
            "cxcywh" => XyxyToCxcywh(xyxy),
            _ => xyxy,
        };
        return result.MoveToOuterScope();
    }

    private static Tensor XywhToXyxy(Tensor b)
    {
        var v = b.unbind(-1);
        return torch.stack([v[0], v[1], v[0] + v[2], v[1] + v[3]], -1);
    }

    private static Tensor CxcywhToXyxy(Tensor b)
    {
        var v = b.unbind(-1);
        Tensor halfW = 0.5 * v[2], halfH = 0.5 * v[3];
        return torch.stack([v[0] - halfW, v[1] - halfH, v[0] + halfW, v[1] + halfH], -1);
    }

    private static Tensor XyxyToXywh(Tensor b)
    {
        var v = b.unbind(-1);
        return torch.stack([v[0], v[1], v[2] - v[0], v[3] - v[1]], -1);
    }

    private static Tensor XyxyToCxcywh(Tensor b)
    {
        var v = b.unbind(-1);
        return torch.stack([(v[0] + v[2]) / 2, (v[1] + v[3]) / 2, v[2] - v[0], v[3] - v[1]], -1);
    }

    private static void CheckFormat(string fmt, string name)
    {
        ArgumentNullException.ThrowIfNull(fmt, name);
        if (fmt is not ("xyxy" or "xywh" or "cxcywh"))
            throw new ArgumentException($"ops.box_convert: unsupported box format '{fmt}' (expected \"xyxy\", \"xywh\" or \"cxcywh\")", name);
    }

    // torchvision's _upcast: float16/bfloat16 to float32 and small integers to int32, so products do not overflow.
    private static Tensor Upcast(Tensor t)
    {
        var dt = t.dtype;
        if (dt.IsFloatingPoint()) return dt is ScalarType.Float32 or ScalarType.Float64 ? t.alias() : t.to(ScalarType.Float32);
        return dt is ScalarType.Int32 or ScalarType.Int64 ? t.alias() : t.to(ScalarType.Int32);
    }

    private static void CheckBoxes(Tensor boxes, string name, string op)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        var shape = boxes.shape;
        if (shape.Length != 2 || shape[1] != 4)
            throw new ArgumentException($"{op}: {name} must be [N, 4] (x1, y1, x2, y2); got {Describe(boxes)}", name);
    }

    private static string Describe(Tensor t) => $"{t.dtype.Name()}[{string.Join(", ", t.shape)}]";
}
