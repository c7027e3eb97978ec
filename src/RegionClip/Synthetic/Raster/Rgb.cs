namespace RegionClip.Synthetic.Raster;

/// <summary>A colour with channels on the 0..255 scale (floats, so blending does not round).</summary>
public readonly record struct Rgb(float R, float G, float B)
{
    public static Rgb Lerp(Rgb a, Rgb b, double t)
    {
        var f = (float)t;
        return new(a.R + (b.R - a.R) * f, a.G + (b.G - a.G) * f, a.B + (b.B - a.B) * f);
    }

    public Rgb Scale(double s) => new((float)(R * s), (float)(G * s), (float)(B * s));

    public Rgb Clamp() => new(Math.Clamp(R, 0, 255), Math.Clamp(G, 0, 255), Math.Clamp(B, 0, 255));

    public float Luma => 0.299f * R + 0.587f * G + 0.114f * B;
}
