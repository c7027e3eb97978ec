using RegionClip.Common;
using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>A distractor line: a polyline of the given width, drawn under the objects.</summary>
public sealed record Stroke(Vec2[] Points, double Width, Rgb Colour, double Opacity);

/// <summary>A translucent irregular patch of colour: region-sized clutter that is not an object.</summary>
public sealed record Patch(Vec2[] Points, Rgb Colour, double Opacity);

/// <summary>
/// A cluttered backdrop: a two-colour gradient, blotchy value noise, per-pixel grain, translucent
/// patches and distractor strokes. Rendering is a pure function of this record.
/// </summary>
public sealed record BackgroundSpec(
    Rgb From, Rgb To, double GradientAngleDegrees,
    double NoiseAmplitude, double NoiseCell, double Grain, uint Seed,
    IReadOnlyList<Patch> Patches, IReadOnlyList<Stroke> Strokes)
{
    /// <summary>One flat colour, nothing else (for tests and label renders).</summary>
    public static BackgroundSpec Plain(Rgb colour) => new(colour, colour, 0, 0, 16, 0, 0, [], []);

    public static BackgroundSpec Sample(Prng rng, int width, int height)
    {
        var from = RandomColour(rng);
        var to = rng.Chance(0.3) ? RandomColour(rng) : Rgb.Lerp(from, RandomColour(rng), rng.Uniform(0.15, 0.5));
        var patches = new List<Patch>();
        for (int i = rng.Between(0, 3); i > 0; i--)
        {
            var centre = new Vec2(rng.Uniform(0, width), rng.Uniform(0, height));
            var radius = rng.Uniform(0.15, 0.4) * Math.Min(width, height);
            int n = rng.Between(5, 8);
            var points = new Vec2[n];
            for (int k = 0; k < n; k++)
            {
                var angle = 2 * Math.PI * (k + rng.Uniform(-0.3, 0.3)) / n;
                var r = radius * rng.Uniform(0.5, 1.2);
                points[k] = centre + new Vec2(r * Math.Cos(angle), r * Math.Sin(angle));
            }
            patches.Add(new Patch(points, RandomColour(rng), rng.Uniform(0.12, 0.35)));
        }
        var strokes = new List<Stroke>();
        for (int i = rng.Between(4, 22); i > 0; i--) strokes.Add(RandomStroke(rng, width, height));
        return new BackgroundSpec(from, to, rng.Uniform(0, 360), rng.Uniform(0.04, 0.22), rng.LogUniform(8, 90),
            rng.Uniform(2, 12), (uint)rng.NextULong(), patches, strokes);
    }

    private static Rgb RandomColour(Prng rng)
    {
        // Mostly muted, sometimes saturated: backgrounds should not outshine the objects.
        var grey = rng.Uniform(40, 225);
        var spread = rng.Chance(0.25) ? 110 : 45;
        return new Rgb((float)(grey + rng.Uniform(-spread, spread)), (float)(grey + rng.Uniform(-spread, spread)), (float)(grey + rng.Uniform(-spread, spread))).Clamp();
    }

    private static Stroke RandomStroke(Prng rng, int width, int height)
    {
        // A cubic Bézier between random points, or a jittery scribble.
        var p0 = new Vec2(rng.Uniform(-20, width + 20), rng.Uniform(-20, height + 20));
        var span = rng.Uniform(0.1, 0.7) * Math.Max(width, height);
        Vec2 Near(Vec2 p) => p + new Vec2(rng.Uniform(-span, span), rng.Uniform(-span, span));
        var points = new List<Vec2>();
        if (rng.Chance(0.7))
        {
            var (p1, p2, p3) = (Near(p0), Near(p0), Near(p0));
            for (int i = 0; i <= 24; i++)
            {
                var t = i / 24.0;
                var u = 1 - t;
                points.Add(u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3);
            }
        }
        else
        {
            var p = p0;
            var step = span / 12;
            for (int i = 0; i < 14; i++)
            {
                points.Add(p);
                p += new Vec2(rng.Uniform(-step, step), rng.Uniform(-step, step));
            }
        }
        var colour = rng.Chance(0.5) ? new Rgb((float)rng.Uniform(0, 255), (float)rng.Uniform(0, 255), (float)rng.Uniform(0, 255)) : RandomColour(rng);
        return new Stroke(points.ToArray(), rng.LogUniform(1, 7), colour, rng.Uniform(0.3, 0.9));
    }

    public void Render(Canvas canvas)
    {
        RenderGradientAndNoise(canvas);
        foreach (var patch in Patches)
        {
            var mask = PathRasterizer.Fill([patch.Points], FillRule.NonZero, canvas.Width, canvas.Height);
            canvas.Composite(mask, new SolidPaint(patch.Colour), Affine.Identity, 1, patch.Opacity);
        }
        foreach (var stroke in Strokes)
        {
            var mask = PathRasterizer.Fill(StrokeOutline(stroke.Points, stroke.Width / 2), FillRule.NonZero, canvas.Width, canvas.Height);
            canvas.Composite(mask, new SolidPaint(stroke.Colour), Affine.Identity, 1, stroke.Opacity);
        }
    }

    private void RenderGradientAndNoise(Canvas canvas)
    {
        int w = canvas.Width, h = canvas.Height;
        var (sin, cos) = Math.SinCos(GradientAngleDegrees * Math.PI / 180);
        // Project the corners to normalise the gradient across the whole image.
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (var (cx, cy) in new[] { (0, 0), (w, 0), (0, h), (w, h) })
        {
            lo = Math.Min(lo, cx * cos + cy * sin);
            hi = Math.Max(hi, cx * cos + cy * sin);
        }
        // Noise is smooth at the cell scale, so evaluate it every 4 px and interpolate bilinearly.
        const int step = 4;
        int gw = w / step + 2, gh = h / step + 2;
        var grid = new float[gw * gh];
        if (NoiseAmplitude > 0)
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++)
                    grid[gy * gw + gx] = 2 * (float)NoiseAmplitude * (Noise.Fractal(gx * step / NoiseCell, gy * step / NoiseCell, Seed) - 0.5f);
        var px = canvas.Pixels;
        var grain = (float)Grain;
        var (dr, dg, db) = (To.R - From.R, To.G - From.G, To.B - From.B);
        var tx = (float)(cos / (hi - lo));
        for (int y = 0; y < h; y++)
        {
            int gy = y / step;
            float fy = (y - gy * step) / (float)step;
            var t0 = (float)((y * sin - lo) / (hi - lo));
            for (int x = 0; x < w; x++)
            {
                int gx = x / step;
                float fx = (x - gx * step) / (float)step;
                int g = gy * gw + gx;
                float top = grid[g] + (grid[g + 1] - grid[g]) * fx;
                float bottom = grid[g + gw] + (grid[g + gw + 1] - grid[g + gw]) * fx;
                float light = 1 + top + (bottom - top) * fy;
                float t = t0 + x * tx;
                float speck = grain > 0 ? grain * (Noise.Lattice(x, y, Seed ^ 0xA5A5A5A5u) - 0.5f) * 2 : 0;
                int i = (y * w + x) * 3;
                px[i] = (From.R + dr * t) * light + speck;
                px[i + 1] = (From.G + dg * t) * light + speck;
                px[i + 2] = (From.B + db * t) * light + speck;
            }
        }
    }

    /// <summary>A polyline's outline as quads per segment plus a polygon per joint, all wound alike for a non-zero union.</summary>
    internal static Vec2[][] StrokeOutline(Vec2[] points, double halfWidth)
    {
        var contours = new List<Vec2[]>();
        for (int i = 0; i + 1 < points.Length; i++)
        {
            var d = points[i + 1] - points[i];
            var len = d.Length;
            if (len < 1e-9) continue;
            var n = halfWidth / len * new Vec2(-d.Y, d.X);
            contours.Add(Oriented([points[i] + n, points[i + 1] + n, points[i + 1] - n, points[i] - n]));
        }
        for (int i = 1; i + 1 < points.Length; i++)
        {
            var joint = new Vec2[8];
            for (int k = 0; k < 8; k++) joint[k] = points[i] + new Vec2(halfWidth * Math.Cos(k * Math.PI / 4), halfWidth * Math.Sin(k * Math.PI / 4));
            contours.Add(Oriented(joint));
        }
        return contours.ToArray();
    }

    private static Vec2[] Oriented(Vec2[] polygon)
    {
        double area = 0;
        for (int i = 0; i < polygon.Length; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Length]);
            area += a.X * b.Y - b.X * a.Y;
        }
        if (area < 0) Array.Reverse(polygon);
        return polygon;
    }
}
