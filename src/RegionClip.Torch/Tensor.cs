using System.Runtime.InteropServices;
using System.Text;
using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>
/// A libtorch tensor. Dispose it, or create it inside <see cref="torch.NewDisposeScope"/>, to
/// free native memory promptly; the finalizer of its handle is only a safety net.
/// </summary>
public partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    internal DisposeScope? Scope;

    internal Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(handle);
        DisposeScope.Current?.Attach(this);
    }

    /// <summary>Wraps a fresh native handle returned by a call that succeeded.</summary>
    internal static Tensor Wrap(IntPtr handle) => new(handle);

    internal TensorHandle Handle
    {
        get
        {
            if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Tensor), "this tensor was disposed (or freed by its dispose scope)");
            return _handle;
        }
    }

    public bool IsDisposed => _handle.IsClosed;

    public void Dispose()
    {
        _handle.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- metadata ----------------------------------------------------------------------------

    public long dim()
    {
        Check.Ok(NativeMethods.rc_tensor_ndim(Handle, out var n), "Tensor.dim", this);
        return n;
    }

    public int ndim => (int)dim();

    public unsafe long[] shape
    {
        get
        {
            var n = dim();
            var s = new long[n];
            fixed (long* p = s) Check.Ok(NativeMethods.rc_tensor_shape(Handle, p, n), "Tensor.shape", this);
            return s;
        }
    }

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public long size(long d)
    {
        var s = shape;
        var i = d < 0 ? d + s.Length : d;
        if (i < 0 || i >= s.Length) throw new ArgumentOutOfRangeException(nameof(d), $"dim {d} is out of range for a tensor of shape [{string.Join(", ", s)}]");
        return s[i];
    }

    public unsafe long[] stride()
    {
        var n = dim();
        var s = new long[n];
        fixed (long* p = s) Check.Ok(NativeMethods.rc_tensor_strides(Handle, p, n), "Tensor.stride", this);
        return s;
    }

    public long numel()
    {
        Check.Ok(NativeMethods.rc_tensor_numel(Handle, out var n), "Tensor.numel", this);
        return n;
    }

    public ScalarType dtype
    {
        get
        {
            Check.Ok(NativeMethods.rc_tensor_dtype(Handle, out var t), "Tensor.dtype", this);
            return (ScalarType)t;
        }
    }

    public Device device
    {
        get
        {
            Check.Ok(NativeMethods.rc_tensor_device(Handle, out var type, out var index), "Tensor.device", this);
            return new Device((DeviceType)type, index);
        }
    }

    public bool is_contiguous()
    {
        Check.Ok(NativeMethods.rc_tensor_is_contiguous(Handle, out var v), "Tensor.is_contiguous", this);
        return v != 0;
    }

    public bool is_floating_point() => dtype.IsFloatingPoint();

    // ---- data --------------------------------------------------------------------------------

    /// <summary>Copies the elements, in row-major order, into a new array (any device, any layout).</summary>
    public unsafe T[] data<T>() where T : unmanaged
    {
        var dt = dtype;
        if (ScalarTypeExtensions.Of<T>() != dt)
            throw new InvalidOperationException($"data<{typeof(T).Name}>() on a {dt.Name()} tensor; convert first with .to(ScalarType.{ScalarTypeExtensions.Of<T>()})");
        var result = new T[numel()];
        fixed (T* p = result)
            Check.Ok(NativeMethods.rc_tensor_copy_to_buffer(Handle, p, (long)result.Length * sizeof(T)), "Tensor.data", this);
        return result;
    }

    /// <summary>Overwrites the elements from a row-major span of the same length and type.</summary>
    public unsafe void copy_from<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        var dt = dtype;
        if (ScalarTypeExtensions.Of<T>() != dt)
            throw new InvalidOperationException($"copy_from<{typeof(T).Name}> into a {dt.Name()} tensor");
        fixed (T* p = values)
            Check.Ok(NativeMethods.rc_tensor_copy_from_buffer(Handle, p, (long)values.Length * sizeof(T)), "Tensor.copy_from", this);
    }

    /// <summary>The value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        Check.Ok(NativeMethods.rc_tensor_item(Handle, out var f, out var i), "Tensor.item", this);
        object v = typeof(T) == typeof(double) ? f
            : typeof(T) == typeof(float) ? (float)f
            : typeof(T) == typeof(long) ? i
            : typeof(T) == typeof(int) ? checked((int)i)
            : typeof(T) == typeof(bool) ? i != 0
            : typeof(T) == typeof(byte) ? checked((byte)i)
            : throw new NotSupportedException($"item<{typeof(T).Name}>");
        return (T)v;
    }

    /// <summary>libtorch's own printout of the values.</summary>
    public unsafe string str()
    {
        Check.Ok(NativeMethods.rc_tensor_to_string(Handle, null, 0, out var needed), "Tensor.str", this);
        var buf = new byte[needed];
        fixed (byte* p = buf) Check.Ok(NativeMethods.rc_tensor_to_string(Handle, p, needed, out _), "Tensor.str", this);
        return Encoding.UTF8.GetString(buf, 0, (int)needed - 1);
    }

    public override string ToString() =>
        IsDisposed ? "tensor(<disposed>)" : $"tensor({dtype.Name()}[{string.Join(", ", shape)}], {device})";

    // ---- dispose-scope membership -------------------------------------------------------------

    /// <summary>Keeps this tensor alive past the current dispose scope by handing it to the enclosing one.</summary>
    public Tensor MoveToOuterScope()
    {
        var scope = Scope;
        if (scope is null) return this;
        scope.Detach(this);
        scope.Outer?.Attach(this);
        return this;
    }

    /// <summary>Removes this tensor from every dispose scope; the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Detach(this);
        return this;
    }

    internal static unsafe Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        long n = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape.ToArray())}]");
            n *= s;
        }
        if (n != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill shape [{string.Join(", ", shape.ToArray())}] ({n} elements)");
        fixed (T* p = data)
        fixed (long* s = shape)
        {
            Check.Ok(NativeMethods.rc_tensor_from_data(p, (int)ScalarTypeExtensions.Of<T>(), s, shape.Length, out var h), "torch.tensor");
            return Wrap(h);
        }
    }
}
