namespace RegionClip.Synthetic.Raster;

/// <summary>A point or vector in pixel or object-local coordinates (y grows downwards).</summary>
public readonly record struct Vec2(double X, double Y)
{
    public static Vec2 operator +(Vec2 a, Vec2 b) => new(a.X + b.X, a.Y + b.Y);
    public static Vec2 operator -(Vec2 a, Vec2 b) => new(a.X - b.X, a.Y - b.Y);
    public static Vec2 operator *(double s, Vec2 a) => new(s * a.X, s * a.Y);
    public double Length => Math.Sqrt(X * X + Y * Y);
}

/// <summary>x' = A·x + B·y + C, y' = D·x + E·y + F.</summary>
public readonly record struct Affine(double A, double B, double C, double D, double E, double F)
{
    public static readonly Affine Identity = new(1, 0, 0, 0, 1, 0);

    /// <summary>Local → canvas for an object: scale by (sx, sy), rotate by <paramref name="radians"/>, move to the centre.</summary>
    public static Affine Placement(Vec2 centre, double sx, double sy, double radians)
    {
        var (sin, cos) = Math.SinCos(radians);
        return new(cos * sx, -sin * sy, centre.X, sin * sx, cos * sy, centre.Y);
    }

    public Vec2 Apply(Vec2 p) => new(A * p.X + B * p.Y + C, D * p.X + E * p.Y + F);

    public double Determinant => A * E - B * D;

    /// <summary>The largest stretch the map applies to a unit vector (bounds its flattening error).</summary>
    public double MaxScale => Math.Max(Math.Sqrt(A * A + D * D), Math.Sqrt(B * B + E * E));

    public Affine Inverse()
    {
        var det = Determinant;
        if (Math.Abs(det) < 1e-12) throw new InvalidOperationException("a degenerate (zero-area) placement has no inverse");
        var ia = E / det;
        var ib = -B / det;
        var id = -D / det;
        var ie = A / det;
        return new(ia, ib, -(ia * C + ib * F), id, ie, -(id * C + ie * F));
    }
}

/// <summary>Which regions of overlapping contours count as inside.</summary>
public enum FillRule
{
    NonZero,
    EvenOdd,
}
