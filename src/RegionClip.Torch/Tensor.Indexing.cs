using RegionClip.Torch.Native;

namespace RegionClip.Torch;

/// <summary>
/// One entry of a Python-style index: an integer (`3`, `^1`), a range (`1..3`, `..`), a stepped
/// slice, a tensor (integer or boolean), <see cref="Ellipsis"/> or <see cref="None"/> (new axis).
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kind { Single, Slice, Tensor, Ellipsis, None }

    internal Kind K { get; private init; }
    internal Index At { get; private init; }
    internal long? Start { get; private init; }
    internal long? Stop { get; private init; }
    internal long Step { get; private init; }
    internal Tensor? Tensor { get; private init; }

    public static readonly TensorIndex Ellipsis = new() { K = Kind.Ellipsis };
    public static readonly TensorIndex None = new() { K = Kind.None };

    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1) =>
        new() { K = Kind.Slice, Start = start, Stop = stop, Step = step };

    public static implicit operator TensorIndex(long i) => new() { K = Kind.Single, At = i >= 0 ? new Index((int)i) : new Index((int)-i, fromEnd: true) };
    public static implicit operator TensorIndex(int i) => (long)i;
    public static implicit operator TensorIndex(Index i) => new() { K = Kind.Single, At = i };
    public static implicit operator TensorIndex(Tensor t) => new() { K = Kind.Tensor, Tensor = t };

    public static implicit operator TensorIndex(Range r) => new()
    {
        K = Kind.Slice,
        // `^0` as a start is the end itself (an empty slice), not Python's `-0 == 0`.
        Start = r.Start.IsFromEnd ? (r.Start.Value == 0 ? long.MaxValue : -r.Start.Value) : r.Start.Value,
        // `^0` as an end means "to the end".
        Stop = r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value,
        Step = 1,
    };
}

public partial class Tensor
{
    /// <summary>`x[i, 1..3, ..]` with PyTorch semantics; basic indices give views.</summary>
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            var (view, advanced) = ApplyBasic(indices);
            if (advanced is null) return view;
            using (view) return view.AdvancedIndex(advanced);
        }
        set
        {
            var (view, advanced) = ApplyBasic(indices);
            using (view)
            {
                if (advanced is null) view.copy_(value);
                else view.IndexPut(advanced, value, accumulate: false);
            }
        }
    }

    /// <summary>`x[idx] = value` for a scalar value.</summary>
    public void index_fill_(Scalar value, params TensorIndex[] indices)
    {
        var (view, advanced) = ApplyBasic(indices);
        using (view)
        {
            if (advanced is null) { view.fill_(value); return; }
            using var v = torch.full([], value, view.dtype, view.device);
            view.IndexPut(advanced, v, accumulate: false);
        }
    }

    public Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        IndexPut(indices, values, accumulate);
        return this;
    }

    public Tensor index(params Tensor?[] indices) => AdvancedIndex(indices);

    private unsafe Tensor AdvancedIndex(Tensor?[] indices)
    {
        var ptrs = HandlesOf(indices);
        IntPtr o;
        fixed (IntPtr* p = ptrs) Check.Ok(NativeMethods.rc_tensor_index(Handle, p, ptrs.Length, out o), "Tensor.index", [this, .. indices]);
        GC.KeepAlive(indices);
        return Wrap(o);
    }

    private unsafe void IndexPut(Tensor?[] indices, Tensor values, bool accumulate)
    {
        var ptrs = HandlesOf(indices);
        fixed (IntPtr* p = ptrs)
            Check.Ok(NativeMethods.rc_tensor_index_put_(Handle, p, ptrs.Length, values.Handle, accumulate ? 1 : 0), "Tensor.index_put_", [this, values, .. indices]);
        GC.KeepAlive(indices);
    }

    internal static IntPtr[] HandlesOf(Tensor?[] tensors)
    {
        var ptrs = new IntPtr[tensors.Length];
        for (int i = 0; i < tensors.Length; i++) ptrs[i] = tensors[i]?.Handle.DangerousGetHandle() ?? IntPtr.Zero;
        return ptrs;
    }

    /// <summary>Applies integer/slice/None/Ellipsis entries as views; returns tensor entries per resulting dim.</summary>
    private (Tensor view, Tensor?[]? advanced) ApplyBasic(TensorIndex[] indices)
    {
        int consumed = 0, ellipses = 0;
        foreach (var ix in indices)
        {
            if (ix.K == TensorIndex.Kind.Ellipsis) ellipses++;
            // A boolean mask counts as many dims as it has, so the ellipsis expands to fewer (as in PyTorch).
            else if (ix.K == TensorIndex.Kind.Tensor && ix.Tensor!.dtype == ScalarType.Bool) consumed += ix.Tensor.ndim;
            else if (ix.K != TensorIndex.Kind.None) consumed++;
        }
        if (ellipses > 1) throw new ArgumentException("an index can only have a single ellipsis");
        var nd = ndim;
        if (consumed > nd) throw new ArgumentException($"too many indices ({consumed}) for a tensor of shape [{string.Join(", ", shape)}]");

        var current = alias();
        var advanced = new List<Tensor?>();
        bool anyAdvanced = false;
        long dim = 0;
        try
        {
            foreach (var ix in indices)
            {
                switch (ix.K)
                {
                    case TensorIndex.Kind.Ellipsis:
                        for (int k = 0; k < nd - consumed; k++) { advanced.Add(null); dim++; }
                        break;
                    case TensorIndex.Kind.None:
                        Replace(ref current, current.unsqueeze(dim));
                        advanced.Add(null);
                        dim++;
                        break;
                    case TensorIndex.Kind.Single:
                    {
                        var size = current.size(dim);
                        long i = ix.At.IsFromEnd ? size - ix.At.Value : ix.At.Value;
                        if (i < 0 || i >= size)
                            throw new IndexOutOfRangeException($"index {(ix.At.IsFromEnd ? "^" + ix.At.Value : ix.At.Value.ToString())} is out of bounds for dim {dim} with size {size}");
                        Replace(ref current, current.select(dim, i));
                        break;
                    }
                    case TensorIndex.Kind.Slice:
                        if (ix.Step <= 0) throw new ArgumentException("slice step must be positive");
                        Replace(ref current, current.slice(dim, ix.Start ?? 0, ix.Stop ?? long.MaxValue, ix.Step));
                        advanced.Add(null);
                        dim++;
                        break;
                    case TensorIndex.Kind.Tensor:
                        advanced.Add(ix.Tensor);
                        anyAdvanced = true;
                        // Exactly as PyTorch's applySlicing: any tensor index, even a k-d boolean mask,
                        // moves the position of later basic indices by one (so `x[mask2d, ..., None]` is
                        // [n, 1, C], not NumPy's [n, C, 1]); only the ellipsis width counts the mask's dims.
                        dim++;
                        break;
                }
            }
            return (current, anyAdvanced ? advanced.ToArray() : null);
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    private static void Replace(ref Tensor current, Tensor next)
    {
        current.Dispose();
        current = next;
    }
}
