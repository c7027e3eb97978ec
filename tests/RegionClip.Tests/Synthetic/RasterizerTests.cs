using RegionClip.Structures;
using RegionClip.Synthetic.Raster;

namespace RegionClip.Tests.Synthetic;

/// <summary>Coverage anti-aliasing, fill rules and compositing against hand-computed values.</summary>
public sealed class RasterizerTests
{
    private static Vec2[] Box(double x0, double y0, double x1, double y1) => [new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1)];

    [Fact]
    public void HalfCoveredPixelsReadHalf()
    {
        // Right edge at x = 5.5 (vertical edge: exact), bottom edge at y = 6.5 (horizontal edge: sub-scanlines).
        var m = PathRasterizer.Fill([Box(2, 2, 5.5, 6.5)], FillRule.NonZero, 10, 10);
        Assert.Equal(1f, m.At(3, 3));
        Assert.Equal(0.5f, m.At(5, 3), 5);
        Assert.Equal(0.5f, m.At(3, 6), 5);
        Assert.Equal(0.25f, m.At(5, 6), 5);
        Assert.Equal(0f, m.At(6, 3));
        Assert.Equal(0f, m.At(1, 1));
        Assert.Equal(3.5 * 4.5, m.Area(), 4);
    }

    [Fact]
    public void DiagonalEdgeSplitsAPixelInHalf()
    {
        // The triangle below the diagonal of pixel (0, 0): coverage 1/2 (the 4 sub-scanlines give 1/8 + 3/8 + 5/8 + 7/8, over 4).
        var m = PathRasterizer.Fill([[new(0, 0), new(1, 1), new(0, 1)]], FillRule.NonZero, 4, 4);
        Assert.Equal(0.5f, m.At(0, 0), 5);
    }

    [Fact]
    public void CircleAreaIsPiRSquared()
    {
        var circle = Shapes.Circle(0, 0, 1).Rasterize(Affine.Placement(new Vec2(50, 50), 40, 40, 0), 100, 100);
        Assert.Equal(Math.PI * 40 * 40, circle.Area(), Math.PI * 40 * 40 * 0.002);
        var ring = Shapes.Ring(0, 0, 1, 0.5).Rasterize(Affine.Placement(new Vec2(50, 50), 40, 40, 0), 100, 100);
        Assert.Equal(Math.PI * (1600 - 400), ring.Area(), Math.PI * 1200 * 0.003);
        Assert.Equal(0f, ring.At(50, 50));
    }

    [Fact]
    public void FillRulesDifferOnNestedContours()
    {
        Vec2[][] nested = [Box(0, 0, 10, 10), Box(3, 3, 7, 7)]; // both wound the same way
        Assert.Equal(1f, PathRasterizer.Fill(nested, FillRule.NonZero, 12, 12).At(5, 5));
        Assert.Equal(0f, PathRasterizer.Fill(nested, FillRule.EvenOdd, 12, 12).At(5, 5));
        Assert.Equal(100 - 16, PathRasterizer.Fill(nested, FillRule.EvenOdd, 12, 12).Area(), 4);
    }

    [Fact]
    public void ShapesAreClippedToTheCanvas()
    {
        var m = PathRasterizer.Fill([Box(-5, -5, 3, 3)], FillRule.NonZero, 10, 10);
        Assert.Equal((0, 0, 3, 3), (m.X0, m.Y0, m.Width, m.Height));
        Assert.True(PathRasterizer.Fill([Box(20, 20, 30, 30)], FillRule.NonZero, 10, 10).IsEmpty);
        var e = Assert.Throws<ArgumentException>(() => PathRasterizer.Fill([[new(0, 0), new(double.NaN, 1), new(1, 1)]], FillRule.NonZero, 10, 10));
        Assert.Contains("not finite", e.Message);
    }

    [Fact]
    public void CoverageAlgebra()
    {
        var a = PathRasterizer.Fill([Box(0, 0, 4, 4)], FillRule.NonZero, 10, 10);
        var b = PathRasterizer.Fill([Box(2, 0, 6, 4)], FillRule.NonZero, 10, 10);
        Assert.Equal(24, Coverage.Union(a, b).Area(), 4);
        Assert.Equal(8, Coverage.Subtract(a, b).Area(), 4);
        Assert.Equal(8, Coverage.Intersect(a, b).Area(), 4);
        Assert.True(Coverage.Intersect(a, Coverage.Empty).IsEmpty);
    }

    [Fact]
    public void CompositingBlendsByCoverage()
    {
        var canvas = new Canvas(4, 2); // black
        var m = PathRasterizer.Fill([Box(0, 0, 1.5, 2)], FillRule.NonZero, 4, 2);
        canvas.Composite(m, new SolidPaint(new Rgb(200, 100, 50)), Affine.Identity, 1);
        Assert.Equal(new Rgb(200, 100, 50), canvas[0, 0]);
        Assert.Equal(new Rgb(100, 50, 25), canvas[1, 0]);
        Assert.Equal(new Rgb(0, 0, 0), canvas[2, 0]);
        canvas.Composite(m, new SolidPaint(new Rgb(0, 0, 0)), Affine.Identity, 1, opacity: 0.5);
        Assert.Equal(new Rgb(100, 50, 25), canvas[0, 0]);
        Assert.Equal(new byte[] { 100, 50, 25, 75, 38, 19 }, canvas.ToBytes()[..6]); // 37.5 rounds half up
    }

    [Fact]
    public void StripesAverageToTheirDutyWhenTooFineToResolve()
    {
        var stripes = new StripePaint(new Rgb(0, 0, 0), new Rgb(255, 255, 255), 0.1, 0, 0.3);
        // A pixel 10 periods wide sees 30 % band colour wherever it falls.
        Assert.Equal(0.3 * 255, stripes.Sample(0.123, 0, 1.0).R, 2);
        // A pixel much smaller than a band sees one colour.
        Assert.Equal(255, stripes.Sample(0.01, 0, 1e-4).R, 2);
        Assert.Equal(0, stripes.Sample(0.05, 0, 1e-4).R, 2);
    }

    [Fact]
    public void PlacementInverseRoundTrips()
    {
        var a = Affine.Placement(new Vec2(30, 40), 12, -7, 0.6);
        var p = new Vec2(0.3, -0.8);
        var back = a.Inverse().Apply(a.Apply(p));
        Assert.Equal(p.X, back.X, 10);
        Assert.Equal(p.Y, back.Y, 10);
    }
}
