namespace RegionClip.Synthetic.Raster;

/// <summary>
/// A colour field in object-local coordinates (u, v). (Paints cache their direction's sine and
/// cosine at construction: change an angle by constructing anew, not with <c>with</c>.) <c>footprint</c> is the size of one pixel in
/// those units: periodic paints box-filter over it, so fine stripes on a small object fade to their
/// mean instead of aliasing.
/// </summary>
public interface IPaint
{
    Rgb Sample(double u, double v, double footprint);
}

public sealed record SolidPaint(Rgb Colour) : IPaint
{
    public Rgb Sample(double u, double v, double footprint) => Colour;
}

/// <summary>Parallel bands of <see cref="Band"/> (a <see cref="Duty"/> fraction of each period) on <see cref="Ground"/>.</summary>
public sealed record StripePaint(Rgb Ground, Rgb Band, double Period, double AngleDegrees, double Duty = 0.5, double Phase = 0) : IPaint
{
    private readonly (double Sin, double Cos) _direction = Math.SinCos(AngleDegrees * Math.PI / 180);

    public Rgb Sample(double u, double v, double footprint)
    {
        var (sin, cos) = _direction;
        var t = (u * cos + v * sin) / Period + Phase;
        return Rgb.Lerp(Ground, Band, Periodic.FilteredSquare(t, Duty, footprint / Period));
    }
}

/// <summary>A checkerboard with square cells of half a <see cref="Period"/>.</summary>
public sealed record CheckPaint(Rgb A, Rgb B, double Period, double AngleDegrees = 0) : IPaint
{
    private readonly (double Sin, double Cos) _direction = Math.SinCos(AngleDegrees * Math.PI / 180);

    public Rgb Sample(double u, double v, double footprint)
    {
        var (sin, cos) = _direction;
        var w = footprint / Period;
        var a = Periodic.FilteredSquare((u * cos + v * sin) / Period, 0.5, w);
        var b = Periodic.FilteredSquare((-u * sin + v * cos) / Period, 0.5, w);
        return Rgb.Lerp(A, B, a * (1 - b) + (1 - a) * b);
    }
}

/// <summary>Round dots on a square lattice (odd rows shifted half a period when staggered).</summary>
public sealed record DotPaint(Rgb Ground, Rgb Dot, double Period, double Radius, bool Staggered = true, double PhaseU = 0, double PhaseV = 0) : IPaint
{
    public Rgb Sample(double u, double v, double footprint)
    {
        var row = Math.Floor(v / Period + PhaseV + 0.5);
        var shift = Staggered && ((long)row & 1) != 0 ? 0.5 : 0;
        var cu = (Math.Floor(u / Period + PhaseU + shift + 0.5) - PhaseU - shift) * Period;
        var cv = (row - PhaseV) * Period;
        var d = Math.Sqrt((u - cu) * (u - cu) + (v - cv) * (v - cv)) - Radius;
        var sharp = Math.Clamp(0.5 - d / footprint, 0, 1);
        // When a pixel spans a whole period, show the mean dot density instead of a lucky sample.
        var mean = Math.Min(1, Math.PI * Radius * Radius / (Period * Period));
        var blur = Math.Clamp(footprint / Period - 0.25, 0, 1);
        return Rgb.Lerp(Ground, Dot, sharp + (mean - sharp) * blur);
    }
}

/// <summary>Linear ramp from <see cref="A"/> at projection <see cref="From"/> to <see cref="B"/> at <see cref="To"/>.</summary>
public sealed record LinearGradientPaint(Rgb A, Rgb B, double AngleDegrees, double From = -1, double To = 1) : IPaint
{
    private readonly (double Sin, double Cos) _direction = Math.SinCos(AngleDegrees * Math.PI / 180);

    public Rgb Sample(double u, double v, double footprint)
    {
        var (sin, cos) = _direction;
        return Rgb.Lerp(A, B, Math.Clamp((u * cos + v * sin - From) / (To - From), 0, 1));
    }
}

public sealed record RadialGradientPaint(Rgb Inner, Rgb Outer, double CentreU, double CentreV, double Radius) : IPaint
{
    public Rgb Sample(double u, double v, double footprint)
    {
        var d = Math.Sqrt((u - CentreU) * (u - CentreU) + (v - CentreV) * (v - CentreV));
        return Rgb.Lerp(Inner, Outer, Math.Min(1, d / Radius));
    }
}

/// <summary>Blotchy value noise between two colours; <see cref="Scale"/> is the blotch size.</summary>
public sealed record NoisePaint(Rgb A, Rgb B, double Scale, uint Seed) : IPaint
{
    public Rgb Sample(double u, double v, double footprint) => Rgb.Lerp(A, B, Noise.Fractal(u / Scale, v / Scale, Seed));
}

/// <summary>Pie slices around a centre in turn of the colours (a beach ball, a kite, an umbrella).</summary>
public sealed record SectorPaint(Rgb[] Colours, double CentreU, double CentreV, double RotationDegrees = 0) : IPaint
{
    public Rgb Sample(double u, double v, double footprint)
    {
        var du = u - CentreU;
        var dv = v - CentreV;
        var turns = (Math.Atan2(dv, du) / (2 * Math.PI) - RotationDegrees / 360) * Colours.Length;
        turns -= Math.Floor(turns / Colours.Length) * Colours.Length;
        int index = Math.Min(Colours.Length - 1, (int)turns);
        // Blend across the boundary over one pixel of arc length to keep slice edges smooth.
        var arc = 2 * Math.PI / Colours.Length * Math.Sqrt(du * du + dv * dv);
        var fromEdge = (turns - index) * arc / footprint;
        var toEdge = arc / footprint - fromEdge;
        if (fromEdge < 0.5) return Rgb.Lerp(Colours[(index + Colours.Length - 1) % Colours.Length], Colours[index], 0.5 + fromEdge);
        if (toEdge < 0.5) return Rgb.Lerp(Colours[(index + 1) % Colours.Length], Colours[index], 0.5 + toEdge);
        return Colours[index];
    }
}

/// <summary>Light from one side: brightness rises towards <see cref="LightAngleDegrees"/>, a cue of volume.</summary>
public sealed record ShadedPaint(IPaint Inner, double Strength, double LightAngleDegrees = 225) : IPaint
{
    private readonly (double Sin, double Cos) _direction = Math.SinCos(LightAngleDegrees * Math.PI / 180);

    public Rgb Sample(double u, double v, double footprint)
    {
        var (sin, cos) = _direction;
        var toward = Math.Clamp((u * cos + v * sin) / 1.4, -1, 1);
        return Inner.Sample(u, v, footprint).Scale(1 + Strength * toward).Clamp();
    }
}

internal static class Periodic
{
    /// <summary>
    /// A square wave (1 on the first <paramref name="duty"/> of each period) averaged over a window
    /// of <paramref name="width"/> periods centred at t: exact box filtering via its running integral.
    /// </summary>
    internal static double FilteredSquare(double t, double duty, double width)
    {
        if (width < 1e-6) return t - Math.Floor(t) < duty ? 1 : 0;
        return (Integral(t + width / 2, duty) - Integral(t - width / 2, duty)) / width;
    }

    private static double Integral(double x, double duty)
    {
        var whole = Math.Floor(x);
        return whole * duty + Math.Min(x - whole, duty);
    }
}
