using System.Runtime.InteropServices;
using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>PyTorch's `torch` namespace: creation, joining, modes and runtime settings.</summary>
public static partial class torch
{
    public const ScalarType uint8 = ScalarType.UInt8;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int16 = ScalarType.Int16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType @bool = ScalarType.Bool;

    // ---- runtime ---------------------------------------------------------------------------

    public static string version => Marshal.PtrToStringUTF8(NativeMethods.rc_torch_version()) ?? "?";

    /// <summary>Native tensors alive in this process (for leak tests).</summary>
    public static long LiveTensorCount => NativeMethods.rc_live_tensors();

    public static int get_num_threads() => NativeMethods.rc_get_num_threads();
    public static void set_num_threads(int n) => Check.Ok(NativeMethods.rc_set_num_threads(n), "torch.set_num_threads");

    public static class cuda
    {
        public static int device_count() => NativeMethods.rc_cuda_device_count();
        public static bool is_available() => device_count() > 0;
    }

    public static void manual_seed(ulong seed) => Check.Ok(NativeMethods.rc_manual_seed(seed), "torch.manual_seed");

    public static DisposeScope NewDisposeScope() => new();
    public static GradModeGuard no_grad() => new(false);
    public static GradModeGuard enable_grad() => new(true);
    public static bool is_grad_enabled() => NativeMethods.rc_grad_enabled() != 0;
    public static InferenceModeGuard inference_mode(bool enabled = true) => new(enabled);
    public static bool is_inference_mode_enabled() => NativeMethods.rc_is_inference_mode() != 0;

    // ---- creation --------------------------------------------------------------------------

    public static Tensor tensor<T>(T[] data, params long[] shape) where T : unmanaged =>
        Tensor.FromSpan<T>(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor tensor<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged => Tensor.FromSpan(data, shape);

    public static Tensor tensor<T>(T[,] data) where T : unmanaged
    {
        var flat = new T[data.Length];
        int k = 0;
        foreach (var v in data) flat[k++] = v;
        return Tensor.FromSpan<T>(flat, [data.GetLength(0), data.GetLength(1)]);
    }

    /// <summary>A 0-d tensor holding one value.</summary>
    public static Tensor scalar_tensor(Scalar value, ScalarType? dtype = null, Device? device = null) =>
        full([], value, dtype ?? (value.IsIntegral ? ScalarType.Int64 : ScalarType.Float32), device);

    public static unsafe Tensor empty(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_empty(p, shape.Length, (int)dtype, (int)d.Type, d.Index, out o), "torch.empty");
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor full(long[] shape, Scalar value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_full(p, shape.Length, value.Native, (int)dtype, (int)d.Type, d.Index, out o), "torch.full");
        return Tensor.Wrap(o);
    }

    public static Tensor zeros(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => full(shape, 0, dtype, device);
    public static Tensor ones(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) => full(shape, 1, dtype, device);
    public static Tensor zeros(params long[] shape) => full(shape, 0);
    public static Tensor ones(params long[] shape) => full(shape, 1);

    public static Tensor empty_like(Tensor a)
    {
        Check.Ok(NativeMethods.rc_tensor_like(a.Handle, 0, default(Scalar).Native, out var o), "torch.empty_like", a);
        return Tensor.Wrap(o);
    }

    public static Tensor full_like(Tensor a, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_like(a.Handle, 1, value.Native, out var o), "torch.full_like", a);
        return Tensor.Wrap(o);
    }

    public static Tensor zeros_like(Tensor a) => full_like(a, 0);
    public static Tensor ones_like(Tensor a) => full_like(a, 1);

    public static Tensor arange(Scalar start, Scalar end, Scalar step, ScalarType? dtype = null, Device? device = null)
    {
        var d = device ?? Device.CPU;
        var t = dtype ?? (start.IsIntegral && end.IsIntegral && step.IsIntegral ? ScalarType.Int64 : ScalarType.Float32);
        Check.Ok(NativeMethods.rc_tensor_arange(start.Native, end.Native, step.Native, (int)t, (int)d.Type, d.Index, out var o), "torch.arange");
        return Tensor.Wrap(o);
    }

    public static Tensor arange(Scalar end, ScalarType? dtype = null, Device? device = null) => arange(0, end, 1, dtype, device);
    public static Tensor arange(Scalar start, Scalar end, ScalarType? dtype = null, Device? device = null) => arange(start, end, 1, dtype, device);

    public static Tensor linspace(double start, double end, long steps, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        Check.Ok(NativeMethods.rc_tensor_linspace(start, end, steps, (int)dtype, (int)d.Type, d.Index, out var o), "torch.linspace");
        return Tensor.Wrap(o);
    }

    public static Tensor eye(long n, long? m = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        Check.Ok(NativeMethods.rc_tensor_eye(n, m ?? n, (int)dtype, (int)d.Type, d.Index, out var o), "torch.eye");
        return Tensor.Wrap(o);
    }

    // ---- random ----------------------------------------------------------------------------

    public static unsafe Tensor rand(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Random(shape, 0, generator, dtype, device, "torch.rand");

    public static unsafe Tensor randn(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Random(shape, 1, generator, dtype, device, "torch.randn");

    public static Tensor rand(params long[] shape) => rand(shape, null);
    public static Tensor randn(params long[] shape) => randn(shape, null);

    private static unsafe Tensor Random(long[] shape, int normal, Generator? g, ScalarType dtype, Device? device, string name)
    {
        var d = device ?? Device.CPU;
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_rand(p, shape.Length, normal, g?.Ptr ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.Index, out o), name);
        GC.KeepAlive(g);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor randint(long low, long high, long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var d = device ?? Device.CPU;
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_randint(low, high, p, shape.Length, generator?.Ptr ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.Index, out o), "torch.randint");
        GC.KeepAlive(generator);
        return Tensor.Wrap(o);
    }

    public static Tensor randperm(long n, Generator? generator = null, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        var d = device ?? Device.CPU;
        Check.Ok(NativeMethods.rc_tensor_randperm(n, generator?.Ptr ?? IntPtr.Zero, (int)dtype, (int)d.Type, d.Index, out var o), "torch.randperm");
        GC.KeepAlive(generator);
        return Tensor.Wrap(o);
    }

    public static Tensor bernoulli(Tensor p, Generator? generator = null)
    {
        Check.Ok(NativeMethods.rc_tensor_bernoulli(p.Handle, generator?.Ptr ?? IntPtr.Zero, out var o), "torch.bernoulli", p);
        GC.KeepAlive(generator);
        return Tensor.Wrap(o);
    }

    public static Tensor multinomial(Tensor probs, long numSamples, bool replacement = false, Generator? generator = null)
    {
        Check.Ok(NativeMethods.rc_tensor_multinomial(probs.Handle, numSamples, replacement ? 1 : 0, generator?.Ptr ?? IntPtr.Zero, out var o), "torch.multinomial", probs);
        GC.KeepAlive(generator);
        return Tensor.Wrap(o);
    }

    // ---- joining and functional forms -------------------------------------------------------

    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var arr = tensors as Tensor[] ?? tensors.ToArray();
        var ptrs = Tensor.HandlesOf(arr);
        IntPtr o;
        fixed (IntPtr* p = ptrs) Check.Ok(NativeMethods.rc_tensor_cat(p, ptrs.Length, dim, out o), "torch.cat", arr!);
        GC.KeepAlive(arr);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var arr = tensors as Tensor[] ?? tensors.ToArray();
        var ptrs = Tensor.HandlesOf(arr);
        IntPtr o;
        fixed (IntPtr* p = ptrs) Check.Ok(NativeMethods.rc_tensor_stack(p, ptrs.Length, dim, out o), "torch.stack", arr!);
        GC.KeepAlive(arr);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor einsum(string equation, params Tensor[] operands)
    {
        var ptrs = Tensor.HandlesOf(operands);
        IntPtr o;
        fixed (IntPtr* p = ptrs) Check.Ok(NativeMethods.rc_tensor_einsum(equation, p, ptrs.Length, out o), $"torch.einsum(\"{equation}\")", operands!);
        GC.KeepAlive(operands);
        return Tensor.Wrap(o);
    }

    public static unsafe Tensor[] meshgrid(Tensor[] tensors, string indexing = "ij")
    {
        var ptrs = Tensor.HandlesOf(tensors);
        IntPtr l;
        fixed (IntPtr* p = ptrs) Check.Ok(NativeMethods.rc_tensor_meshgrid(p, ptrs.Length, indexing == "xy" ? 1 : 0, out l), "torch.meshgrid", tensors!);
        GC.KeepAlive(tensors);
        return TensorList.Take(l);
    }

    public static Tensor where(Tensor condition, Tensor a, Tensor b)
    {
        Check.Ok(NativeMethods.rc_tensor_where(condition.Handle, a.Handle, b.Handle, out var o), "torch.where", condition, a, b);
        return Tensor.Wrap(o);
    }

    public static Tensor baddbmm(Tensor input, Tensor batch1, Tensor batch2, Scalar? beta = null, Scalar? alpha = null)
    {
        Check.Ok(NativeMethods.rc_tensor_baddbmm(input.Handle, batch1.Handle, batch2.Handle, (beta ?? 1).Native, (alpha ?? 1).Native, out var o),
            "torch.baddbmm", input, batch1, batch2);
        return Tensor.Wrap(o);
    }

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);

    /// <summary>
    /// <see cref="bmm"/> for a large batch of small products (one per region, say): the batch is split
    /// across the intra-op threads and each item's product runs on one thread, instead of one
    /// multi-threaded BLAS call per item, which stalls on every call when other processes hold the
    /// cores. Same values as bmm; with gradients required or off the CPU it is bmm. Not in PyTorch.
    /// </summary>
    public static Tensor bmm_across_batch(Tensor a, Tensor b) => a.Binary(BinaryOp.BmmAcrossBatch, b, "torch.bmm_across_batch");
    public static Tensor exp(Tensor a) => a.exp();
    public static Tensor log(Tensor a) => a.log();
    public static Tensor sqrt(Tensor a) => a.sqrt();
    public static Tensor abs(Tensor a) => a.abs();
    public static Tensor sigmoid(Tensor a) => a.sigmoid();
    public static Tensor tanh(Tensor a) => a.tanh();
    public static Tensor relu(Tensor a) => a.relu();
    public static Tensor clamp(Tensor a, Scalar? min = null, Scalar? max = null) => a.clamp(min, max);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor sum(Tensor a) => a.sum();
    public static Tensor mean(Tensor a) => a.mean();
    public static Tensor argmax(Tensor a, long? dim = null, bool keepdim = false) => a.argmax(dim, keepdim);
    public static (Tensor values, Tensor indices) topk(Tensor a, long k, long dim = -1, bool largest = true, bool sorted = true) => a.topk(k, dim, largest, sorted);
    public static (Tensor values, Tensor indices) sort(Tensor a, long dim = -1, bool descending = false, bool stable = false) => a.sort(dim, descending, stable);
    public static Tensor nonzero(Tensor a) => a.nonzero();
    public static Tensor[] split(Tensor a, long size, long dim = 0) => a.split(size, dim);
    public static Tensor[] chunk(Tensor a, long chunks, long dim = 0) => a.chunk(chunks, dim);
    public static Tensor index_select(Tensor a, long dim, Tensor index) => a.index_select(dim, index);
    public static Tensor gather(Tensor a, long dim, Tensor index) => a.gather(dim, index);
    public static Tensor flatten(Tensor a, long start = 0, long end = -1) => a.flatten(start, end);
    public static bool allclose(Tensor a, Tensor b, double rtol = 1e-5, double atol = 1e-8) => a.allclose(b, rtol, atol);
    public static bool equal(Tensor a, Tensor b) => a.equal(b);
}
