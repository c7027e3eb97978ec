namespace RegionClip.Common;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a fixed, documented algorithm, so a seed gives the same
/// world on every run and every .NET version (System.Random's algorithm is unspecified).
/// Not thread-safe: give each image its own stream with <see cref="ForStream"/>.
/// </summary>
public sealed class Prng
{
    private ulong _s0, _s1, _s2, _s3;

    public Prng(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix(ref sm);
        _s1 = SplitMix(ref sm);
        _s2 = SplitMix(ref sm);
        _s3 = SplitMix(ref sm);
    }

    /// <summary>A generator in the given raw state (for checking against the algorithm's published outputs).</summary>
    internal static Prng FromState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        var p = new Prng(0);
        (p._s0, p._s1, p._s2, p._s3) = (s0, s1, s2, s3);
        return p;
    }

    /// <summary>An independent stream for (seed, purpose, index): e.g. image 17 of the val split.</summary>
    public static Prng ForStream(ulong seed, string purpose, long index)
    {
        // FNV-1a of the purpose keeps streams for different purposes apart without a registry.
        ulong h = 14695981039346656037UL;
        foreach (var c in purpose) h = (h ^ c) * 1099511628211UL;
        var mix = seed;
        var a = SplitMix(ref mix) ^ h;
        var b = SplitMix(ref a) ^ (ulong)index;
        return new Prng(SplitMix(ref b));
    }

    internal static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "the range must be positive");
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var x = NextULong();
            var hi = Math.BigMul(x, bound, out var lo);
            if (lo >= threshold) return (int)hi;
        }
    }

    /// <summary>Uniform integer in [lo, hi] (both ends included).</summary>
    public int Between(int lo, int hi) => lo + NextInt(hi - lo + 1);

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[NextInt(items.Count)];

    /// <summary>0 … <paramref name="n"/> − 1 in a random order (Fisher–Yates from the end, one draw per position).</summary>
    public int[] Permutation(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Log-uniform in [lo, hi): as many small as large objects per octave of size.</summary>
    public double LogUniform(double lo, double hi) => Math.Exp(Uniform(Math.Log(lo), Math.Log(hi)));

    /// <summary>Index drawn with probability proportional to its weight.</summary>
    public int PickWeighted(IReadOnlyList<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var r = NextDouble() * total;
        for (int i = 0; i < weights.Count; i++)
        {
            r -= weights[i];
            if (r < 0) return i;
        }
        return weights.Count - 1;
    }
}
