using RegionClip.Torch;

namespace RegionClip.Structures;

/// <summary>An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.</summary>
public readonly record struct Box(float X1, float Y1, float X2, float Y2)
{
    public float Width => X2 - X1;
    public float Height => Y2 - Y1;

    /// <summary>From COCO's [x, y, width, height].</summary>
    public static Box FromXywh(double x, double y, double w, double h) => new((float)x, (float)y, (float)(x + w), (float)(y + h));

    /// <summary>COCO's [x, y, width, height].</summary>
    public double[] ToXywh() => [X1, Y1, (double)X2 - X1, (double)Y2 - Y1];

    public float[] ToArray() => [X1, Y1, X2, Y2];

    /// <summary>Boxes → float32 [K, 4].</summary>
    public static Tensor ToTensor(IReadOnlyList<Box> boxes)
    {
        var flat = new float[boxes.Count * 4];
        for (int i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            (flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3]) = (b.X1, b.Y1, b.X2, b.Y2);
        }
        return torch.tensor(flat, boxes.Count, 4);
    }

    /// <summary>float [K, 4] → boxes.</summary>
    public static Box[] FromTensor(Tensor boxes)
    {
        using var f32 = boxes.to(ScalarType.Float32);
        using var f = f32.contiguous();
        var v = f.data<float>();
        var result = new Box[v.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = new Box(v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]);
        return result;
    }

    public override string ToString() => FormattableString.Invariant($"[{X1}, {Y1}, {X2}, {Y2}]");
}

/// <summary>Checks of user-given regions before they reach RoIAlign.</summary>
public static class RegionBoxes
{
    /// <summary>
    /// Validates XYXY boxes in an image's pixels and clips them to it. A non-finite coordinate, x2 &lt; x1
    /// or y2 &lt; y1, or a box with no area left inside the image is an error naming the box and
    /// <paramref name="source"/>. Returns the clipped float32 [K, 4] (K may be 0).
    /// </summary>
    public static Tensor ValidateAndClip(Tensor boxes, int height, int width, string source)
    {
        if (boxes.ndim != 2 || boxes.size(1) != 4)
            throw new ArgumentException($"{source}: boxes must be [K, 4] (x1, y1, x2, y2), got [{string.Join(", ", boxes.shape)}]");
        var list = Box.FromTensor(boxes);
        for (int i = 0; i < list.Length; i++)
        {
            var b = list[i];
            if (!float.IsFinite(b.X1) || !float.IsFinite(b.Y1) || !float.IsFinite(b.X2) || !float.IsFinite(b.Y2))
                throw new ArgumentException($"{source}: box #{i} {b} has a non-finite coordinate");
            if (b.X2 < b.X1 || b.Y2 < b.Y1)
                throw new ArgumentException($"{source}: box #{i} {b} has x2 < x1 or y2 < y1 (boxes are [x1, y1, x2, y2], not [x, y, w, h]?)");
            var c = new Box(Math.Clamp(b.X1, 0, width), Math.Clamp(b.Y1, 0, height), Math.Clamp(b.X2, 0, width), Math.Clamp(b.Y2, 0, height));
            if (c.Width <= 0 || c.Height <= 0)
                throw new ArgumentException($"{source}: box #{i} {b} has no area inside the {width}×{height} image");
            list[i] = c;
        }
        return Box.ToTensor(list);
    }
}
