namespace RegionClip.Torch.nn;

/// <summary>torch.nn.init: in-place initialisers (no autograd recording).</summary>
public static class init
{
    [ThreadStatic] private static int _skipping;

    /// <summary>
    /// Within the returned scope (this thread) every initialiser leaves its tensor as it is: for modules built only to
    /// be filled from a checkpoint at once (strictly, every tensor), whose random initialisation would be thrown
    /// away — RN50 CLIP's 102 M weights take over a second to draw. Like <c>torch.nn.utils.skip_init</c>, the
    /// weights are uninitialised memory until loaded, and no random numbers are drawn.
    /// </summary>
    public static IDisposable skip()
    {
        _skipping++;
        return new SkipScope();
    }

    /// <summary>Whether initialisers on this thread are currently skipped (<see cref="skip"/>).</summary>
    public static bool skipping => _skipping > 0;

    private sealed class SkipScope : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _skipping--;
        }
    }

    public static (long fanIn, long fanOut) calculate_fan_in_and_fan_out(Tensor t)
    {
        var s = t.shape;
        if (s.Length < 2) throw new ArgumentException($"fan in/out needs at least 2 dims, got [{string.Join(", ", s)}]");
        long receptive = 1;
        for (int i = 2; i < s.Length; i++) receptive *= s[i];
        return (s[1] * receptive, s[0] * receptive);
    }

    public static Tensor uniform_(Tensor t, double a = 0, double b = 1, Generator? generator = null)
    {
        if (skipping) return t;
        using var _ = torch.no_grad();
        return t.uniform_(a, b, generator);
    }

    public static Tensor normal_(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
    {
        if (skipping) return t;
        using var _ = torch.no_grad();
        return t.normal_(mean, std, generator);
    }

    public static Tensor constant_(Tensor t, Scalar value)
    {
        if (skipping) return t;
        using var _ = torch.no_grad();
        return t.fill_(value);
    }

    public static Tensor zeros_(Tensor t) => constant_(t, 0);
    public static Tensor ones_(Tensor t) => constant_(t, 1);

    /// <summary>Kaiming uniform with leaky-ReLU gain for slope a (PyTorch's default Linear/Conv init uses a = √5).</summary>
    public static Tensor kaiming_uniform_(Tensor t, double a = 0, string mode = "fan_in", Generator? generator = null)
    {
        var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
        var fan = mode == "fan_in" ? fanIn : fanOut;
        var gain = Math.Sqrt(2.0 / (1 + a * a));
        var bound = Math.Sqrt(3.0) * gain / Math.Sqrt(fan);
        return uniform_(t, -bound, bound, generator);
    }

    public static Tensor kaiming_normal_(Tensor t, double a = 0, string mode = "fan_out", Generator? generator = null)
    {
        var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
        var fan = mode == "fan_in" ? fanIn : fanOut;
        var std = Math.Sqrt(2.0 / (1 + a * a)) / Math.Sqrt(fan);
        return normal_(t, 0, std, generator);
    }

    public static Tensor xavier_uniform_(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = calculate_fan_in_and_fan_out(t);
        var bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return uniform_(t, -bound, bound, generator);
    }
}
