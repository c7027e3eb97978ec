namespace RegionClip.Synthetic.Raster;

/// <summary>
/// A region in object-local coordinates (the object spans about [-1, 1]², y down), rasterised
/// through a local → canvas placement. Curves are flattened at rasterisation time to the pixel
/// scale, so large and small objects both get smooth outlines.
/// </summary>
public abstract record Shape
{
    public abstract Coverage Rasterize(Affine toCanvas, int width, int height);

    /// <summary>Contours in canvas coordinates for the fill.</summary>
    private protected static Vec2[][] Place(IEnumerable<Vec2[]> local, Affine toCanvas) =>
        local.Select(c => c.Select(toCanvas.Apply).ToArray()).ToArray();

    /// <summary>Segments for an arc of radius <paramref name="radiusPixels"/> so the chord error stays under 0.02 px.</summary>
    private protected static int Segments(double radiusPixels, double fullTurns = 1)
    {
        if (radiusPixels <= 0.02) return Math.Max(3, (int)Math.Ceiling(12 * fullTurns));
        var perTurn = Math.PI / Math.Acos(1 - 0.02 / radiusPixels);
        return Math.Clamp((int)Math.Ceiling(perTurn * fullTurns), (int)Math.Ceiling(12 * fullTurns), (int)Math.Ceiling(720 * fullTurns));
    }
}

/// <summary>Straight-edged contours (several for holes, with the fill rule deciding inside).</summary>
public sealed record PolygonShape(Vec2[][] Contours, FillRule Rule = FillRule.NonZero) : Shape
{
    public PolygonShape(params Vec2[] points) : this([points]) { }

    public override Coverage Rasterize(Affine toCanvas, int width, int height) =>
        PathRasterizer.Fill(Place(Contours, toCanvas), Rule, width, height);
}

/// <summary>An ellipse centred at (Cx, Cy) with radii (Rx, Ry), turned by <see cref="AngleDegrees"/>.</summary>
public sealed record EllipseShape(double Cx, double Cy, double Rx, double Ry, double AngleDegrees = 0) : Shape
{
    public override Coverage Rasterize(Affine toCanvas, int width, int height)
    {
        int n = Segments(toCanvas.MaxScale * Math.Max(Rx, Ry));
        var (sin, cos) = Math.SinCos(AngleDegrees * Math.PI / 180);
        var points = new Vec2[n];
        for (int i = 0; i < n; i++)
        {
            var (s, c) = Math.SinCos(2 * Math.PI * i / n);
            double x = Rx * c, y = Ry * s;
            points[i] = new(Cx + x * cos - y * sin, Cy + x * sin + y * cos);
        }
        return PathRasterizer.Fill(Place([points], toCanvas), FillRule.NonZero, width, height);
    }
}

/// <summary>A rectangle with corners rounded to radius <see cref="Radius"/>.</summary>
public sealed record RoundRectShape(double X0, double Y0, double X1, double Y1, double Radius) : Shape
{
    public override Coverage Rasterize(Affine toCanvas, int width, int height)
    {
        var r = Math.Min(Radius, Math.Min(X1 - X0, Y1 - Y0) / 2);
        int n = Segments(toCanvas.MaxScale * r, 0.25);
        var points = new List<Vec2>(4 * (n + 1));
        (double cx, double cy, double start)[] corners = [(X1 - r, Y1 - r, 0), (X0 + r, Y1 - r, 90), (X0 + r, Y0 + r, 180), (X1 - r, Y0 + r, 270)];
        foreach (var (cx, cy, start) in corners)
            for (int i = 0; i <= n; i++)
            {
                var (s, c) = Math.SinCos((start + 90.0 * i / n) * Math.PI / 180);
                points.Add(new(cx + r * c, cy + r * s));
            }
        return PathRasterizer.Fill(Place([points.ToArray()], toCanvas), FillRule.NonZero, width, height);
    }
}

public sealed record UnionShape(params Shape[] Parts) : Shape
{
    public override Coverage Rasterize(Affine toCanvas, int width, int height)
    {
        var result = Coverage.Empty;
        foreach (var p in Parts) result = Coverage.Union(result, p.Rasterize(toCanvas, width, height));
        return result;
    }
}

/// <summary><see cref="Outer"/> with <see cref="Hole"/> cut away (rings, crescents).</summary>
public sealed record DifferenceShape(Shape Outer, Shape Hole) : Shape
{
    public override Coverage Rasterize(Affine toCanvas, int width, int height) =>
        Coverage.Subtract(Outer.Rasterize(toCanvas, width, height), Hole.Rasterize(toCanvas, width, height));
}

/// <summary>Where both shapes are (half discs, seams clipped to a ball).</summary>
public sealed record IntersectionShape(Shape A, Shape B) : Shape
{
    public override Coverage Rasterize(Affine toCanvas, int width, int height) =>
        Coverage.Intersect(A.Rasterize(toCanvas, width, height), B.Rasterize(toCanvas, width, height));
}

/// <summary>Builders for the shapes the world's objects are made of.</summary>
public static class Shapes
{
    public static Shape Circle(double cx, double cy, double r) => new EllipseShape(cx, cy, r, r);

    public static Shape Ellipse(double cx, double cy, double rx, double ry, double angleDegrees = 0) => new EllipseShape(cx, cy, rx, ry, angleDegrees);

    public static Shape Rect(double x0, double y0, double x1, double y1) => new PolygonShape(new Vec2(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1));

    public static Shape RoundRect(double x0, double y0, double x1, double y1, double radius) => new RoundRectShape(x0, y0, x1, y1, radius);

    public static Shape Polygon(params (double x, double y)[] points) => new PolygonShape(points.Select(p => new Vec2(p.x, p.y)).ToArray());

    /// <summary>A regular n-gon of circumradius r; the first vertex at <paramref name="startDegrees"/> (−90 = top).</summary>
    public static Shape Regular(int n, double r, double startDegrees = -90, double cx = 0, double cy = 0) =>
        new PolygonShape(Enumerable.Range(0, n).Select(i => Polar(cx, cy, r, startDegrees + 360.0 * i / n)).ToArray());

    /// <summary>A star with n points alternating between the outer and inner radius.</summary>
    public static Shape Star(int n, double outer, double inner, double startDegrees = -90, double cx = 0, double cy = 0) =>
        new PolygonShape(Enumerable.Range(0, 2 * n).Select(i => Polar(cx, cy, i % 2 == 0 ? outer : inner, startDegrees + 180.0 * i / n)).ToArray());

    public static Shape Ring(double cx, double cy, double outer, double inner) => new DifferenceShape(Circle(cx, cy, outer), Circle(cx, cy, inner));

    /// <summary>The upper half (y ≤ cy) of an ellipse: caps, canopies.</summary>
    public static Shape UpperHalfEllipse(double cx, double cy, double rx, double ry) =>
        new IntersectionShape(Ellipse(cx, cy, rx, ry), Rect(cx - rx - 1, cy - ry - 1, cx + rx + 1, cy));

    /// <summary>The classic heart curve, scaled to about [-1, 1]².</summary>
    public static Shape Heart()
    {
        const int n = 160;
        var points = new Vec2[n];
        for (int i = 0; i < n; i++)
        {
            var t = 2 * Math.PI * i / n;
            var x = 16 * Math.Pow(Math.Sin(t), 3);
            var y = 13 * Math.Cos(t) - 5 * Math.Cos(2 * t) - 2 * Math.Cos(3 * t) - Math.Cos(4 * t);
            points[i] = new(x / 16.5, -(y + 2.5) / 14.5);
        }
        return new PolygonShape(points);
    }

    /// <summary>A pointed leaf (a lens: two circular arcs) lying along the x axis.</summary>
    public static Shape Leaf(double halfLength, double halfWidth)
    {
        // Circle through (±L, 0) and (0, W): radius R, centre at (0, W − R).
        var radius = (halfLength * halfLength + halfWidth * halfWidth) / (2 * halfWidth);
        var offset = radius - halfWidth;
        var half = Math.Atan2(halfLength, offset);
        const int n = 48;
        var points = new List<Vec2>(2 * n);
        for (int i = 0; i < n; i++)
        {
            var a = -half + 2 * half * i / n;
            points.Add(new(radius * Math.Sin(a), -(radius * Math.Cos(a) - offset)));
        }
        for (int i = 0; i < n; i++)
        {
            var a = half - 2 * half * i / n;
            points.Add(new(radius * Math.Sin(a), radius * Math.Cos(a) - offset));
        }
        return new PolygonShape(points.ToArray());
    }

    private static Vec2 Polar(double cx, double cy, double r, double degrees)
    {
        var (s, c) = Math.SinCos(degrees * Math.PI / 180);
        return new(cx + r * c, cy + r * s);
    }
}
