using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

[StructLayout(LayoutKind.Sequential)]
internal struct RcScalar
{
    public double F;
    public long I;
    public int Kind;
}

/// <summary>P/Invoke declarations mirroring native/include/regionclip.h (same order, same names).</summary>
internal static partial class NativeMethods
{
    private const string Lib = NativeLibraryResolver.LibraryName;

#pragma warning disable CA2255 // the resolver must be in place before the first P/Invoke from any entry point
    [ModuleInitializer]
    internal static void Initialize() => NativeLibraryResolver.Install();
#pragma warning restore CA2255

    // runtime
    [LibraryImport(Lib)] internal static partial IntPtr rc_last_error();
    [LibraryImport(Lib)] internal static partial long rc_live_tensors();
    [LibraryImport(Lib)] internal static partial IntPtr rc_torch_version();
    [LibraryImport(Lib)] internal static partial int rc_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int rc_get_num_threads();
    [LibraryImport(Lib)] internal static partial int rc_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int rc_manual_seed(ulong seed);

    // tensor lists
    [LibraryImport(Lib)] internal static partial int rc_tensor_list_len(IntPtr l, out long n);
    [LibraryImport(Lib)] internal static partial int rc_tensor_list_get(IntPtr l, long i, out IntPtr t);
    [LibraryImport(Lib)] internal static partial void rc_tensor_list_free(IntPtr l);

    // lifetime, metadata, data
    [LibraryImport(Lib)] internal static partial void rc_tensor_free(IntPtr h);
    [LibraryImport(Lib)] internal static partial int rc_tensor_alias(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_ndim(TensorHandle a, out long n);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_shape(TensorHandle a, long* o, long capacity);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_strides(TensorHandle a, long* o, long capacity);
    [LibraryImport(Lib)] internal static partial int rc_tensor_dtype(TensorHandle a, out int dtype);
    [LibraryImport(Lib)] internal static partial int rc_tensor_device(TensorHandle a, out int type, out int index);
    [LibraryImport(Lib)] internal static partial int rc_tensor_numel(TensorHandle a, out long n);
    [LibraryImport(Lib)] internal static partial int rc_tensor_is_contiguous(TensorHandle a, out int v);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_from_data(void* data, int dtype, long* shape, long ndim, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_copy_to_buffer(TensorHandle a, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_copy_from_buffer(TensorHandle a, void* src, long nbytes);
    [LibraryImport(Lib)] internal static partial int rc_tensor_data_ptr(TensorHandle a, out IntPtr p);
    [LibraryImport(Lib)] internal static partial int rc_tensor_item(TensorHandle a, out double f, out long i);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_to_string(TensorHandle a, byte* buf, long capacity, out long needed);

    // creation and random
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_empty(long* shape, long ndim, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_full(long* shape, long ndim, RcScalar v, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_arange(RcScalar start, RcScalar end, RcScalar step, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_linspace(double start, double end, long steps, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_eye(long n, long m, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_like(TensorHandle a, int kind, RcScalar v, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_generator_new(ulong seed, out IntPtr g);
    [LibraryImport(Lib)] internal static partial void rc_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int rc_generator_get_state(IntPtr g, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_generator_set_state(IntPtr g, TensorHandle state);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_rand(long* shape, long ndim, int normal, IntPtr g, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_randint(long low, long high, long* shape, long ndim, IntPtr g, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_randperm(long n, IntPtr g, int dtype, int dt, int di, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_uniform_(TensorHandle a, double from, double to, IntPtr g);
    [LibraryImport(Lib)] internal static partial int rc_tensor_normal_(TensorHandle a, double mean, double std, IntPtr g);
    [LibraryImport(Lib)] internal static partial int rc_tensor_bernoulli(TensorHandle a, IntPtr g, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_multinomial(TensorHandle a, long n, int replacement, IntPtr g, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_dropout(TensorHandle a, double p, int train, out IntPtr o);

    // conversion and in-place basics
    [LibraryImport(Lib)] internal static partial int rc_tensor_to(TensorHandle a, int dtype, int dt, int di, int copy, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_contiguous(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_clone(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_detach(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int rc_tensor_fill_(TensorHandle a, RcScalar v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_zero_(TensorHandle a);
    [LibraryImport(Lib)] internal static partial int rc_tensor_set_data(TensorHandle a, TensorHandle src);

    // views and indexing
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_view(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_reshape(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_permute(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_expand(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_repeat(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_flip(TensorHandle a, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_transpose(TensorHandle a, long d0, long d1, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_movedim(TensorHandle a, long src, long dst, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_unsqueeze(TensorHandle a, long d, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_squeeze(TensorHandle a, long d, int all, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_flatten(TensorHandle a, long start, long end, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_unflatten(TensorHandle a, long d, long* s, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_narrow(TensorHandle a, long d, long start, long len, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_select(TensorHandle a, long d, long index, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_slice(TensorHandle a, long d, long start, long end, long step, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_roll(TensorHandle a, long shift, long d, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_triu(TensorHandle a, long k, int lower, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_cat(IntPtr* ts, long n, long d, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_stack(IntPtr* ts, long n, long d, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_split_sizes(TensorHandle a, long* sizes, long n, long d, out IntPtr list);
    [LibraryImport(Lib)] internal static partial int rc_tensor_split(TensorHandle a, long size, long d, out IntPtr list);
    [LibraryImport(Lib)] internal static partial int rc_tensor_chunk(TensorHandle a, long chunks, long d, out IntPtr list);
    [LibraryImport(Lib)] internal static partial int rc_tensor_unbind(TensorHandle a, long d, out IntPtr list);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_meshgrid(IntPtr* ts, long n, int xy, out IntPtr list);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_index(TensorHandle a, IntPtr* idx, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_index_put_(TensorHandle a, IntPtr* idx, long n, TensorHandle values, int accumulate);
    [LibraryImport(Lib)] internal static partial int rc_tensor_index_select(TensorHandle a, long d, TensorHandle index, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_gather(TensorHandle a, long d, TensorHandle index, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_scatter(TensorHandle a, long d, TensorHandle index, TensorHandle src, int add, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_scatter_value(TensorHandle a, long d, TensorHandle index, RcScalar v, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_masked_fill(TensorHandle a, TensorHandle mask, RcScalar v, int inplace, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_masked_select(TensorHandle a, TensorHandle mask, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_where(TensorHandle cond, TensorHandle a, TensorHandle b, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_nonzero(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_one_hot(TensorHandle a, long classes, out IntPtr o);

    // math
    [LibraryImport(Lib)] internal static partial int rc_unary(int op, TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_unary_(int op, TensorHandle a);
    [LibraryImport(Lib)] internal static partial int rc_binary(int op, TensorHandle a, TensorHandle b, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_binary_(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial int rc_binary_scalar(int op, TensorHandle a, RcScalar s, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_binary_scalar_(int op, TensorHandle a, RcScalar s);
    [LibraryImport(Lib)] internal static partial int rc_tensor_add_scaled(TensorHandle a, TensorHandle b, RcScalar alpha, int inplace, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_addcmul_(TensorHandle a, TensorHandle t1, TensorHandle t2, RcScalar v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_addcdiv_(TensorHandle a, TensorHandle t1, TensorHandle t2, RcScalar v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_lerp_(TensorHandle a, TensorHandle end, RcScalar w);
    [LibraryImport(Lib)] internal static partial int rc_tensor_baddbmm(TensorHandle self, TensorHandle b1, TensorHandle b2, RcScalar beta, RcScalar alpha, out IntPtr o);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static unsafe partial int rc_tensor_einsum(string eq, IntPtr* ts, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_clamp(TensorHandle a, RcScalar lo, int hasLo, RcScalar hi, int hasHi, int inplace, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_allclose(TensorHandle a, TensorHandle b, double rtol, double atol, out int v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_equal(TensorHandle a, TensorHandle b, out int v);
    [LibraryImport(Lib)] internal static unsafe partial int rc_reduce(int op, TensorHandle a, long* dims, long n, int keepdim, long correction, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_tensor_norm(TensorHandle a, double p, long* dims, long n, int keepdim, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_max_dim(TensorHandle a, long d, int keepdim, int isMin, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int rc_tensor_max_all(TensorHandle a, int isMin, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_argmax(TensorHandle a, long d, int hasDim, int keepdim, int isMin, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_sort(TensorHandle a, long d, int descending, int stable, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int rc_tensor_topk(TensorHandle a, long k, long d, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int rc_tensor_cumsum(TensorHandle a, long d, int prod, out IntPtr o);

    // nn functionals
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_conv2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* dilation, long groups, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_conv1d(TensorHandle x, TensorHandle w, TensorHandle b, long stride, long padding, long dilation, long groups, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_conv_transpose2d(TensorHandle x, TensorHandle w, TensorHandle b, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_linear(TensorHandle x, TensorHandle w, TensorHandle b, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_batch_norm(TensorHandle x, TensorHandle w, TensorHandle b, TensorHandle mean, TensorHandle var, int training, double momentum, double eps, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_layer_norm(TensorHandle x, long* shape, long n, TensorHandle w, TensorHandle b, double eps, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_group_norm(TensorHandle x, long groups, TensorHandle w, TensorHandle b, double eps, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_max_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, long* dilation, int ceilMode, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_avg_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, int ceilMode, int countIncludePad, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_adaptive_pool2d(TensorHandle x, long* size, int isMax, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_softmax(TensorHandle x, long d, int log, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_embedding(TensorHandle w, TensorHandle idx, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_leaky_relu(TensorHandle x, double slope, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_normalize(TensorHandle x, double p, long d, double eps, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_interpolate(TensorHandle x, long h, long w, int mode, int alignCorners, int antialias, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_grid_sample(TensorHandle x, TensorHandle grid, int mode, int padding, int alignCorners, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_nn_pad(TensorHandle x, long* pads, long n, int mode, double value, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_cross_entropy(TensorHandle x, TensorHandle target, TensorHandle weight, int reduction, long ignoreIndex, double labelSmoothing, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_nll_loss(TensorHandle x, TensorHandle target, TensorHandle weight, int reduction, long ignoreIndex, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_kl_div(TensorHandle x, TensorHandle target, int reduction, int logTarget, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_bce_with_logits(TensorHandle x, TensorHandle target, TensorHandle weight, TensorHandle posWeight, int reduction, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_smooth_l1(TensorHandle x, TensorHandle target, int reduction, double beta, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_l1_loss(TensorHandle x, TensorHandle target, int reduction, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_nn_mse_loss(TensorHandle x, TensorHandle target, int reduction, out IntPtr o);

    // autograd
    [LibraryImport(Lib)] internal static partial int rc_tensor_requires_grad(TensorHandle a, out int v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_set_requires_grad(TensorHandle a, int v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_is_leaf(TensorHandle a, out int v);
    [LibraryImport(Lib)] internal static partial int rc_tensor_retain_grad(TensorHandle a);
    [LibraryImport(Lib)] internal static partial int rc_tensor_grad(TensorHandle a, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_tensor_set_grad(TensorHandle a, TensorHandle g);
    [LibraryImport(Lib)] internal static partial int rc_tensor_backward(TensorHandle a, TensorHandle grad, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int rc_grad_enabled();
    [LibraryImport(Lib)] internal static partial void rc_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int rc_inference_mode_enter(int enabled, out IntPtr guard);
    [LibraryImport(Lib)] internal static partial void rc_inference_mode_exit(IntPtr guard);
    [LibraryImport(Lib)] internal static partial int rc_is_inference_mode();
    [LibraryImport(Lib)] internal static partial int rc_tensor_is_inference(TensorHandle a, out int v);

    // serialization
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_pickle_load(string path, out IntPtr v);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_pickle_save(IntPtr v, string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_torchscript_load(string path, out IntPtr v);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int rc_checkpoint_kind(string path, out int kind);
    [LibraryImport(Lib)] internal static partial void rc_ivalue_free(IntPtr v);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_kind(IntPtr v, out int kind);
    [LibraryImport(Lib)] internal static unsafe partial int rc_ivalue_type_name(IntPtr v, byte* buf, long capacity);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_to_tensor(IntPtr v, out IntPtr t);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_to_int(IntPtr v, out long x);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_to_double(IntPtr v, out double x);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_to_bool(IntPtr v, out int x);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_to_string(IntPtr v, out IntPtr data, out long len);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_len(IntPtr v, out long n);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_item(IntPtr v, long i, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_dict_key(IntPtr v, long i, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_dict_value(IntPtr v, long i, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_none(out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_from_tensor(TensorHandle t, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_from_int(long v, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_from_double(double v, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_from_bool(int v, out IntPtr o);
    [LibraryImport(Lib)] internal static unsafe partial int rc_ivalue_from_string(byte* data, long len, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_list_new(out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_list_append(IntPtr list, IntPtr item);
    [LibraryImport(Lib)] internal static unsafe partial int rc_ivalue_tuple_new(IntPtr* items, long n, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_dict_new(int keyKind, out IntPtr o);
    [LibraryImport(Lib)] internal static partial int rc_ivalue_dict_insert(IntPtr dict, IntPtr key, IntPtr value);
}
