using RegionClip.Common;
using RegionClip.Synthetic.Raster;

namespace RegionClip.Synthetic;

/// <summary>
/// One instance's variation of its category's look: brightness, saturation and a small tint applied
/// to every colour, a texture phase and a noise seed. Keeps instances of a category alike but not identical.
/// </summary>
public sealed record ObjectStyle(double Brightness, double Saturation, Rgb Tint, double Phase, uint Seed)
{
    public static readonly ObjectStyle Neutral = new(1, 1, new Rgb(0, 0, 0), 0, 1);

    public static ObjectStyle Sample(Prng rng) => new(
        rng.Uniform(0.82, 1.12),
        rng.Uniform(0.8, 1.15),
        new Rgb((float)rng.Uniform(-12, 12), (float)rng.Uniform(-12, 12), (float)rng.Uniform(-12, 12)),
        rng.NextDouble(),
        (uint)rng.NextULong());

    /// <summary>The instance's version of a palette colour.</summary>
    public Rgb C(Rgb colour)
    {
        var luma = colour.Luma;
        float Channel(float v, float tint) => (float)((luma + (v - luma) * Saturation) * Brightness + tint);
        return new Rgb(Channel(colour.R, Tint.R), Channel(colour.G, Tint.G), Channel(colour.B, Tint.B)).Clamp();
    }
}

/// <summary>One piece of an object: where it is (object-local) and how it is painted.</summary>
public sealed record ObjectPart(Shape Shape, IPaint Paint);
