namespace RegionClip.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope and disposes
/// them together, so loops stay leak-free without a `using` per tensor.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        Outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;
    internal DisposeScope? Outer { get; }

    /// <summary>Tensors currently owned by this scope.</summary>
    public int Count => _tensors.Count;

    internal void Attach(Tensor t)
    {
        if (_disposed) return;
        t.Scope?._tensors.Remove(t);
        _tensors.Add(t);
        t.Scope = this;
    }

    internal void Detach(Tensor t)
    {
        if (_tensors.Remove(t)) t.Scope = null;
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
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        // Scopes normally close innermost-first; tolerate out-of-order closing without corrupting the chain.
        if (ReferenceEquals(_current, this)) _current = Outer;
    }
}
