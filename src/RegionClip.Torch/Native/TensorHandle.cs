using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>Owns one native at::Tensor; the only finalizer in the binding.</summary>
internal sealed class TensorHandle : SafeHandle
{
    /// <summary>A non-owning null handle for optional tensor arguments.</summary>
    internal static readonly TensorHandle Null = new(IntPtr.Zero, ownsHandle: false);

    internal TensorHandle(IntPtr handle, bool ownsHandle = true) : base(IntPtr.Zero, ownsHandle) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.rc_tensor_free(handle);
        return true;
    }
}
