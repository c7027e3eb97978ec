namespace RegionClip.Synthetic.Raster;

/// <summary>Hash-based value noise: a pure function of (x, y, seed), so rendering needs no random state.</summary>
public static class Noise
{
    /// <summary>A well-mixed 32-bit hash of a lattice point (Murmur3-style finaliser).</summary>
    public static uint Hash(int x, int y, uint seed)
    {
        unchecked
        {
            uint h = seed ^ ((uint)x * 0x9E3779B1u) ^ ((uint)y * 0x85EBCA77u);
            h ^= h >> 16;
            h *= 0x7FEB352Du;
            h ^= h >> 15;
            h *= 0x846CA68Bu;
            h ^= h >> 16;
            return h;
        }
    }

    /// <summary>Uniform in [0, 1) for a lattice point.</summary>
    public static float Lattice(int x, int y, uint seed) => (Hash(x, y, seed) >> 8) * (1f / (1 << 24));

    /// <summary>Smoothly interpolated lattice noise in [0, 1) at (x, y), one lattice cell per unit.</summary>
    public static float Value(double x, double y, uint seed)
    {
        int ix = (int)Math.Floor(x), iy = (int)Math.Floor(y);
        float fx = Smooth((float)(x - ix)), fy = Smooth((float)(y - iy));
        float a = Lattice(ix, iy, seed), b = Lattice(ix + 1, iy, seed);
        float c = Lattice(ix, iy + 1, seed), d = Lattice(ix + 1, iy + 1, seed);
        float top = a + (b - a) * fx, bottom = c + (d - c) * fx;
        return top + (bottom - top) * fy;
    }

    /// <summary>Two octaves of value noise, in [0, 1).</summary>
    public static float Fractal(double x, double y, uint seed) =>
        0.667f * Value(x, y, seed) + 0.333f * Value(2.03 * x + 17.1, 2.03 * y - 5.3, seed ^ 0x5bd1e995u);

    private static float Smooth(float t) => t * t * (3 - 2 * t);
}
