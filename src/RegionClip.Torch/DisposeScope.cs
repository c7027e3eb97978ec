namespace RegionClip.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope and disposes
/// them together, so loops stay leak-free without a `using` per tensor.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    // Owned tensors in attach order. A tensor's own Scope field says who owns it, so detaching is
    // O(1) without hashing: it clears that field and leaves a stale entry, skipped on dispose and
    // dropped by Compact. (A HashSet here cost ~100 ns and three allocations per scope.)
    private Tensor[]? _items;
    private int _length;
    private int _count;
    private bool _disposed;

    internal DisposeScope()
    {
        Outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;
    internal DisposeScope? Outer { get; }

    /// <summary>Tensors currently owned by this scope.</summary>
    public int Count => _count;

    internal void Attach(Tensor t)
    {
        if (_disposed || ReferenceEquals(t.Scope, this)) return;
        t.Scope?.Release(t);
        if (_items is null) _items = new Tensor[4];
        else if (_length == _items.Length) Array.Resize(ref _items, _length * 2);
        _items[_length++] = t;
        t.Scope = this;
        _count++;
    }

    internal void Detach(Tensor t)
    {
        if (ReferenceEquals(t.Scope, this)) Release(t);
    }

    private void Release(Tensor t)
    {
        t.Scope = null;
        _count--;
        if (_length >= 64 && _count < _length / 4) Compact();
    }

    /// <summary>Drops stale entries so a long-lived scope that hands many tensors on stays small.</summary>
    private void Compact()
    {
        var items = _items!;
        int kept = 0;
        for (int i = 0; i < _length; i++)
            if (ReferenceEquals(items[i].Scope, this)) items[kept++] = items[i];
        Array.Clear(items, kept, _length - kept);
        _length = kept;
    }

    /// <summary>Hands tensors to the enclosing scope (or to nobody) so they outlive this one.</summary>
    public T MoveToOuter<T>(T tensor) where T : Tensor
    {
        tensor.MoveToOuterScope();
        return tensor;
    }

    /// <summary>Adds tensors created elsewhere to this scope's ownership.</summary>
    public T Include<T>(T tensor) where T : Tensor
    {
        Attach(tensor);
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var items = _items;
        for (int i = 0; i < _length; i++)
        {
            var t = items![i];
            // A tensor detached and re-attached has two entries; the first one disposes it.
            if (!ReferenceEquals(t.Scope, this)) continue;
            t.Scope = null;
            t.Dispose();
        }
        _items = null;
        _length = 0;
        _count = 0;
        // Scopes normally close innermost-first; tolerate out-of-order closing without corrupting the chain.
        if (ReferenceEquals(_current, this)) _current = Outer;
    }
}
