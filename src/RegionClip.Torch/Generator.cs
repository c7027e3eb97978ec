using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>A seeded CPU random generator (libtorch's Philox/MT engine), independent of the global one.</summary>
public sealed class Generator : IDisposable
{
    private IntPtr _ptr;

    public Generator(ulong seed)
    {
        Check.Ok(NativeMethods.rc_generator_new(seed, out _ptr), "torch.Generator");
        Seed = seed;
    }

    public ulong Seed { get; }

    internal IntPtr Ptr => _ptr != IntPtr.Zero ? _ptr : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>The full generator state (a uint8 tensor), for exact resume.</summary>
    public Tensor get_state()
    {
        Check.Ok(NativeMethods.rc_generator_get_state(Ptr, out var o), "Generator.get_state");
        return Tensor.Wrap(o);
    }

    public void set_state(Tensor state) => Check.Ok(NativeMethods.rc_generator_set_state(Ptr, state.Handle), "Generator.set_state", state);

    public void Dispose()
    {
        var p = Interlocked.Exchange(ref _ptr, IntPtr.Zero);
        if (p != IntPtr.Zero) NativeMethods.rc_generator_free(p);
        GC.SuppressFinalize(this);
    }

    ~Generator() => Dispose();
}
