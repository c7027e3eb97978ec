using RegionClip.Torch.Native;

namespace RegionClip.Torch;

public partial class Tensor
{
    public unsafe Tensor view(params long[] shape)
    {
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_view(Handle, p, shape.Length, out o), "Tensor.view", this);
        return Wrap(o);
    }

    public unsafe Tensor reshape(params long[] shape)
    {
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_reshape(Handle, p, shape.Length, out o), "torch.reshape", this);
        return Wrap(o);
    }

    public unsafe Tensor permute(params long[] dims)
    {
        IntPtr o;
        fixed (long* p = dims) Check.Ok(NativeMethods.rc_tensor_permute(Handle, p, dims.Length, out o), "torch.permute", this);
        return Wrap(o);
    }

    public unsafe Tensor expand(params long[] shape)
    {
        IntPtr o;
        fixed (long* p = shape) Check.Ok(NativeMethods.rc_tensor_expand(Handle, p, shape.Length, out o), "Tensor.expand", this);
        return Wrap(o);
    }

    public Tensor expand_as(Tensor other) => expand(other.shape);

    public unsafe Tensor repeat(params long[] repeats)
    {
        IntPtr o;
        fixed (long* p = repeats) Check.Ok(NativeMethods.rc_tensor_repeat(Handle, p, repeats.Length, out o), "Tensor.repeat", this);
        return Wrap(o);
    }

    public unsafe Tensor flip(params long[] dims)
    {
        IntPtr o;
        fixed (long* p = dims) Check.Ok(NativeMethods.rc_tensor_flip(Handle, p, dims.Length, out o), "torch.flip", this);
        return Wrap(o);
    }

    public Tensor transpose(long dim0, long dim1)
    {
        Check.Ok(NativeMethods.rc_tensor_transpose(Handle, dim0, dim1, out var o), "torch.transpose", this);
        return Wrap(o);
    }

    /// <summary>Matrix transpose of a 2-D tensor (PyTorch's `.t()`); 0-D and 1-D are returned as they are.</summary>
    public Tensor t() => dim() < 2 ? alias() : transpose(0, 1);

    public Tensor mT => transpose(-2, -1);

    public Tensor movedim(long source, long destination)
    {
        Check.Ok(NativeMethods.rc_tensor_movedim(Handle, source, destination, out var o), "torch.movedim", this);
        return Wrap(o);
    }

    public Tensor unsqueeze(long dim)
    {
        Check.Ok(NativeMethods.rc_tensor_unsqueeze(Handle, dim, out var o), "torch.unsqueeze", this);
        return Wrap(o);
    }

    public Tensor squeeze()
    {
        Check.Ok(NativeMethods.rc_tensor_squeeze(Handle, 0, 1, out var o), "torch.squeeze", this);
        return Wrap(o);
    }

    public Tensor squeeze(long dim)
    {
        Check.Ok(NativeMethods.rc_tensor_squeeze(Handle, dim, 0, out var o), "torch.squeeze", this);
        return Wrap(o);
    }

    public Tensor flatten(long startDim = 0, long endDim = -1)
    {
        Check.Ok(NativeMethods.rc_tensor_flatten(Handle, startDim, endDim, out var o), "torch.flatten", this);
        return Wrap(o);
    }

    public unsafe Tensor unflatten(long dim, params long[] sizes)
    {
        IntPtr o;
        fixed (long* p = sizes) Check.Ok(NativeMethods.rc_tensor_unflatten(Handle, dim, p, sizes.Length, out o), "torch.unflatten", this);
        return Wrap(o);
    }

    public Tensor narrow(long dim, long start, long length)
    {
        Check.Ok(NativeMethods.rc_tensor_narrow(Handle, dim, start, length, out var o), "torch.narrow", this);
        return Wrap(o);
    }

    public Tensor select(long dim, long index)
    {
        Check.Ok(NativeMethods.rc_tensor_select(Handle, dim, index, out var o), "torch.select", this);
        return Wrap(o);
    }

    /// <summary>Python's `x[start:end:step]` along one dim; ends are clamped like Python slices.</summary>
    public Tensor slice(long dim, long start, long end, long step = 1)
    {
        Check.Ok(NativeMethods.rc_tensor_slice(Handle, dim, start, end, step, out var o), "Tensor.slice", this);
        return Wrap(o);
    }

    public Tensor roll(long shifts, long dim)
    {
        Check.Ok(NativeMethods.rc_tensor_roll(Handle, shifts, dim, out var o), "torch.roll", this);
        return Wrap(o);
    }

    public Tensor triu(long diagonal = 0)
    {
        Check.Ok(NativeMethods.rc_tensor_triu(Handle, diagonal, 0, out var o), "torch.triu", this);
        return Wrap(o);
    }

    public Tensor tril(long diagonal = 0)
    {
        Check.Ok(NativeMethods.rc_tensor_triu(Handle, diagonal, 1, out var o), "torch.tril", this);
        return Wrap(o);
    }

    public Tensor[] split(long splitSize, long dim = 0)
    {
        Check.Ok(NativeMethods.rc_tensor_split(Handle, splitSize, dim, out var l), "torch.split", this);
        return TensorList.Take(l);
    }

    public unsafe Tensor[] split(long[] sizes, long dim = 0)
    {
        IntPtr l;
        fixed (long* p = sizes) Check.Ok(NativeMethods.rc_tensor_split_sizes(Handle, p, sizes.Length, dim, out l), "torch.split", this);
        return TensorList.Take(l);
    }

    public Tensor[] chunk(long chunks, long dim = 0)
    {
        Check.Ok(NativeMethods.rc_tensor_chunk(Handle, chunks, dim, out var l), "torch.chunk", this);
        return TensorList.Take(l);
    }

    public Tensor[] unbind(long dim = 0)
    {
        Check.Ok(NativeMethods.rc_tensor_unbind(Handle, dim, out var l), "torch.unbind", this);
        return TensorList.Take(l);
    }

    public Tensor index_select(long dim, Tensor index)
    {
        Check.Ok(NativeMethods.rc_tensor_index_select(Handle, dim, index.Handle, out var o), "torch.index_select", this, index);
        return Wrap(o);
    }

    public Tensor gather(long dim, Tensor index)
    {
        Check.Ok(NativeMethods.rc_tensor_gather(Handle, dim, index.Handle, out var o), "torch.gather", this, index);
        return Wrap(o);
    }

    public Tensor scatter(long dim, Tensor index, Tensor src)
    {
        Check.Ok(NativeMethods.rc_tensor_scatter(Handle, dim, index.Handle, src.Handle, 0, out var o), "torch.scatter", this, index, src);
        return Wrap(o);
    }

    public Tensor scatter(long dim, Tensor index, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_scatter_value(Handle, dim, index.Handle, value.Native, out var o), "torch.scatter", this, index);
        return Wrap(o);
    }

    public Tensor scatter_add(long dim, Tensor index, Tensor src)
    {
        Check.Ok(NativeMethods.rc_tensor_scatter(Handle, dim, index.Handle, src.Handle, 1, out var o), "torch.scatter_add", this, index, src);
        return Wrap(o);
    }

    public Tensor masked_fill(Tensor mask, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_masked_fill(Handle, mask.Handle, value.Native, 0, out var o), "torch.masked_fill", this, mask);
        return Wrap(o);
    }

    public Tensor masked_fill_(Tensor mask, Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_masked_fill(Handle, mask.Handle, value.Native, 1, out _), "Tensor.masked_fill_", this, mask);
        return this;
    }

    public Tensor masked_select(Tensor mask)
    {
        Check.Ok(NativeMethods.rc_tensor_masked_select(Handle, mask.Handle, out var o), "torch.masked_select", this, mask);
        return Wrap(o);
    }

    /// <summary>Indices of non-zero elements, [n, ndim] int64.</summary>
    public Tensor nonzero()
    {
        Check.Ok(NativeMethods.rc_tensor_nonzero(Handle, out var o), "torch.nonzero", this);
        return Wrap(o);
    }

    // ---- copies and conversion ---------------------------------------------------------------

    /// <summary>A second handle to the same tensor (shares storage and autograd identity).</summary>
    public Tensor alias()
    {
        Check.Ok(NativeMethods.rc_tensor_alias(Handle, out var o), "Tensor.alias", this);
        return Wrap(o);
    }

    public Tensor contiguous()
    {
        Check.Ok(NativeMethods.rc_tensor_contiguous(Handle, out var o), "Tensor.contiguous", this);
        return Wrap(o);
    }

    public Tensor clone()
    {
        Check.Ok(NativeMethods.rc_tensor_clone(Handle, out var o), "torch.clone", this);
        return Wrap(o);
    }

    public Tensor detach()
    {
        Check.Ok(NativeMethods.rc_tensor_detach(Handle, out var o), "Tensor.detach", this);
        return Wrap(o);
    }

    public Tensor to(ScalarType type, bool copy = false) => to(type, device, copy);
    public Tensor to(Device target, bool copy = false) => to(dtype, target, copy);

    public Tensor to(ScalarType type, Device target, bool copy = false)
    {
        Check.Ok(NativeMethods.rc_tensor_to(Handle, (int)type, (int)target.Type, target.Index, copy ? 1 : 0, out var o), "Tensor.to", this);
        return Wrap(o);
    }

    public Tensor @float() => to(ScalarType.Float32);
    public Tensor @double() => to(ScalarType.Float64);
    public Tensor @long() => to(ScalarType.Int64);
    public Tensor @int() => to(ScalarType.Int32);
    public Tensor @bool() => to(ScalarType.Bool);
    public Tensor half() => to(ScalarType.Float16);
    public Tensor cpu() => to(Device.CPU);

    public Tensor copy_(Tensor src)
    {
        Check.Ok(NativeMethods.rc_tensor_copy_(Handle, src.Handle), "Tensor.copy_", this, src);
        return this;
    }

    public Tensor fill_(Scalar value)
    {
        Check.Ok(NativeMethods.rc_tensor_fill_(Handle, value.Native), "Tensor.fill_", this);
        return this;
    }

    public Tensor zero_()
    {
        Check.Ok(NativeMethods.rc_tensor_zero_(Handle), "Tensor.zero_", this);
        return this;
    }

    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        Check.Ok(NativeMethods.rc_tensor_uniform_(Handle, from, to, generator?.Ptr ?? IntPtr.Zero), "Tensor.uniform_", this);
        GC.KeepAlive(generator);
        return this;
    }

    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        Check.Ok(NativeMethods.rc_tensor_normal_(Handle, mean, std, generator?.Ptr ?? IntPtr.Zero), "Tensor.normal_", this);
        GC.KeepAlive(generator);
        return this;
    }

    /// <summary>Replaces the data behind this tensor (PyTorch's `t.data = src`), keeping its identity.</summary>
    public void set_data(Tensor src) => Check.Ok(NativeMethods.rc_tensor_set_data(Handle, src.Handle), "Tensor.set_data", this, src);
}

/// <summary>Turns a native tensor list into owned tensors and frees the list.</summary>
internal static class TensorList
{
    internal static Tensor[] Take(IntPtr list)
    {
        try
        {
            Check.Ok(NativeMethods.rc_tensor_list_len(list, out var n), "tensor_list");
            var result = new Tensor[n];
            for (long i = 0; i < n; i++)
            {
                Check.Ok(NativeMethods.rc_tensor_list_get(list, i, out var t), "tensor_list");
                result[i] = Tensor.Wrap(t);
            }
            return result;
        }
        finally
        {
            NativeMethods.rc_tensor_list_free(list);
        }
    }
}
