namespace RegionClip.Synthetic.Raster;

/// <summary>
/// How much of each pixel a shape covers (0..1), stored only over the pixel rectangle
/// [X0, X0+Width) × [Y0, Y0+Height) of the canvas; zero elsewhere.
/// </summary>
public sealed class Coverage
{
    public static readonly Coverage Empty = new(0, 0, 0, 0);

    public Coverage(int x0, int y0, int width, int height)
    {
        X0 = x0;
        Y0 = y0;
        Width = width;
        Height = height;
        Values = new float[width * height];
    }

    public int X0 { get; }
    public int Y0 { get; }
    public int Width { get; }
    public int Height { get; }
    public float[] Values { get; }
    public bool IsEmpty => Width == 0 || Height == 0;

    /// <summary>Coverage of canvas pixel (x, y); zero outside the stored rectangle.</summary>
    public float At(int x, int y)
    {
        x -= X0;
        y -= Y0;
        return (uint)x < (uint)Width && (uint)y < (uint)Height ? Values[y * Width + x] : 0f;
    }

    /// <summary>Total covered area in pixels.</summary>
    public double Area()
    {
        double sum = 0;
        foreach (var v in Values) sum += v;
        return sum;
    }

    /// <summary>Pixels covered by either: 1 − (1 − a)(1 − b), exact for independent edge pixels.</summary>
    public static Coverage Union(Coverage a, Coverage b) => Combine(a, b, Bounds(a, b, union: true), static (x, y) => x + y - x * y);

    /// <summary>Pixels of a not covered by b: a·(1 − b).</summary>
    public static Coverage Subtract(Coverage a, Coverage b) => Combine(a, b, (a.X0, a.Y0, a.Width, a.Height), static (x, y) => x * (1 - y));

    /// <summary>Pixels covered by both: a·b.</summary>
    public static Coverage Intersect(Coverage a, Coverage b) => Combine(a, b, Bounds(a, b, union: false), static (x, y) => x * y);

    private static (int x0, int y0, int w, int h) Bounds(Coverage a, Coverage b, bool union)
    {
        if (a.IsEmpty) return union ? (b.X0, b.Y0, b.Width, b.Height) : (0, 0, 0, 0);
        if (b.IsEmpty) return union ? (a.X0, a.Y0, a.Width, a.Height) : (0, 0, 0, 0);
        int x0 = union ? Math.Min(a.X0, b.X0) : Math.Max(a.X0, b.X0);
        int y0 = union ? Math.Min(a.Y0, b.Y0) : Math.Max(a.Y0, b.Y0);
        int x1 = union ? Math.Max(a.X0 + a.Width, b.X0 + b.Width) : Math.Min(a.X0 + a.Width, b.X0 + b.Width);
        int y1 = union ? Math.Max(a.Y0 + a.Height, b.Y0 + b.Height) : Math.Min(a.Y0 + a.Height, b.Y0 + b.Height);
        return x1 > x0 && y1 > y0 ? (x0, y0, x1 - x0, y1 - y0) : (0, 0, 0, 0);
    }

    private static Coverage Combine(Coverage a, Coverage b, (int x0, int y0, int w, int h) r, Func<float, float, float> op)
    {
        if (r.w == 0 || r.h == 0) return Empty;
        var result = new Coverage(r.x0, r.y0, r.w, r.h);
        var rowA = new float[r.w];
        var rowB = new float[r.w];
        for (int y = 0; y < r.h; y++)
        {
            a.CopyRow(r.y0 + y, r.x0, rowA);
            b.CopyRow(r.y0 + y, r.x0, rowB);
            var dst = result.Values.AsSpan(y * r.w, r.w);
            for (int x = 0; x < r.w; x++) dst[x] = op(rowA[x], rowB[x]);
        }
        return result;
    }

    /// <summary>Canvas row y from column x0 into <paramref name="row"/> (zeros where not stored).</summary>
    private void CopyRow(int y, int x0, float[] row)
    {
        Array.Clear(row);
        int my = y - Y0;
        if ((uint)my >= (uint)Height) return;
        int from = Math.Max(x0, X0), to = Math.Min(x0 + row.Length, X0 + Width);
        if (to > from) Values.AsSpan(my * Width + from - X0, to - from).CopyTo(row.AsSpan(from - x0));
    }
}
