using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>Sets autograd recording on or off for this thread until disposed, then restores it.</summary>
public sealed class GradModeGuard : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    internal GradModeGuard(bool enabled)
    {
        _previous = NativeMethods.rc_grad_enabled() != 0;
        NativeMethods.rc_set_grad_enabled(enabled ? 1 : 0);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.rc_set_grad_enabled(_previous ? 1 : 0);
    }
}

/// <summary>libtorch's InferenceMode for this thread until disposed (dispose on the same thread).</summary>
public sealed class InferenceModeGuard : IDisposable
{
    private IntPtr _guard;

    internal InferenceModeGuard(bool enabled) =>
        Check.Ok(NativeMethods.rc_inference_mode_enter(enabled ? 1 : 0, out _guard), "torch.inference_mode");

    public void Dispose()
    {
        var g = _guard;
        _guard = IntPtr.Zero;
        if (g != IntPtr.Zero) NativeMethods.rc_inference_mode_exit(g);
    }
}
