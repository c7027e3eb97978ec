using System.Text;

namespace RegionClip.Torch.nn;

/// <summary>
/// torch.nn.Module: parameters, buffers and children registered under their checkpoint key
/// strings, so state_dict keys equal PyTorch's exactly. Disposing a module frees its tensors.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly OrderedDictionary<string, Parameter?> _parameters = new();
    private readonly OrderedDictionary<string, Tensor?> _buffers = new();
    private readonly HashSet<string> _nonPersistent = new();
    private readonly OrderedDictionary<string, Module> _modules = new();
    private bool _disposed;

    public bool training { get; private set; } = true;

    // ---- registration ------------------------------------------------------------------------

    protected Parameter? register_parameter(string name, Tensor? value, bool requiresGrad = true)
    {
        CheckName(name);
        var p = value is null ? null : value as Parameter ?? new Parameter(value, requiresGrad);
        if (value is not null && value is not Parameter) value.Dispose();
        _parameters[name] = p;
        return p;
    }

    protected Tensor? register_buffer(string name, Tensor? value, bool persistent = true)
    {
        CheckName(name);
        value?.DetachFromDisposeScope();
        _buffers[name] = value;
        if (!persistent) _nonPersistent.Add(name);
        return value;
    }

    protected T register_module<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules[name] = module;
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid member name '{name}' (non-empty, no dots)", nameof(name));
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}", nameof(name));
    }

    /// <summary>Replaces a registered buffer's tensor (e.g. after folding), disposing the old one.</summary>
    protected void set_buffer(string name, Tensor value)
    {
        if (!_buffers.TryGetValue(name, out var old)) throw new KeyNotFoundException($"no buffer '{name}' in {GetType().Name}");
        value.DetachFromDisposeScope();
        _buffers[name] = value;
        if (!ReferenceEquals(old, value)) old?.Dispose();
    }

    // ---- traversal ---------------------------------------------------------------------------

    public IEnumerable<(string name, Module module)> named_children() => _modules.Select(kv => (kv.Key, kv.Value));

    public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in _modules)
            foreach (var item in child.named_modules(prefix.Length == 0 ? name : prefix + "." + name))
                yield return item;
    }

    public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
    {
        foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
            foreach (var (name, p) in m._parameters)
                if (p is not null) yield return (Join(prefix, name), p);
    }

    public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(x => x.parameter);

    public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
    {
        foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
            foreach (var (name, b) in m._buffers)
                if (b is not null) yield return (Join(prefix, name), b);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---- modes -------------------------------------------------------------------------------

    public virtual Module train(bool mode = true)
    {
        training = mode;
        foreach (var (_, child) in _modules) child.train(mode);
        return this;
    }

    public Module eval() => train(false);

    /// <summary>Sets requires_grad on every parameter (false freezes the module).</summary>
    public Module requires_grad_(bool requiresGrad = true)
    {
        foreach (var p in parameters()) p.requires_grad = requiresGrad;
        return this;
    }

    /// <summary>Moves or casts parameters and buffers in place (floating-point ones only for dtype casts).</summary>
    public Module to(ScalarType? dtype = null, Device? device = null)
    {
        using var _ = torch.no_grad();
        foreach (var (_, m) in named_modules())
        {
            foreach (var (_, p) in m._parameters)
                if (p is not null) Convert(p, dtype, device);
            foreach (var (_, b) in m._buffers)
                if (b is not null) Convert(b, dtype, device);
        }
        return this;
    }

    private static void Convert(Tensor t, ScalarType? dtype, Device? device)
    {
        var targetType = dtype is not null && t.is_floating_point() ? dtype.Value : t.dtype;
        var targetDevice = device ?? t.device;
        if (targetType == t.dtype && targetDevice == t.device) return;
        using var converted = t.to(targetType, targetDevice);
        t.set_data(converted);
    }

    // ---- state dict --------------------------------------------------------------------------

    /// <summary>Parameters and persistent buffers by checkpoint key. The tensors are the module's own (do not dispose).</summary>
    public OrderedDictionary<string, Tensor> state_dict()
    {
        var result = new OrderedDictionary<string, Tensor>();
        foreach (var (prefix, m) in named_modules())
        {
            foreach (var (name, p) in m._parameters)
                if (p is not null) result[Join(prefix, name)] = p;
            foreach (var (name, b) in m._buffers)
                if (b is not null && !m._nonPersistent.Contains(name)) result[Join(prefix, name)] = b;
        }
        return result;
    }

    /// <summary>
    /// Copies values into the module's tensors (converting dtype when needed). Strict mode
    /// fails before copying anything, naming every missing, unexpected and mis-shaped key.
    /// </summary>
    public LoadResult load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var adapted = new Dictionary<string, Tensor>(state);
        foreach (var (name, m) in named_modules())
            m.adapt_loaded_state(name.Length == 0 ? "" : name + ".", adapted);
        state = adapted;
        var own = state_dict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (key, target) in own)
        {
            if (!state.TryGetValue(key, out var src)) continue;
            var a = target.shape;
            var b = src.shape;
            if (!a.AsSpan().SequenceEqual(b))
                mismatched.Add($"{key}: checkpoint [{string.Join(", ", b)}] vs model [{string.Join(", ", a)}]");
        }
        if (strict && (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0))
            throw new StateDictException(GetType().Name, missing, unexpected, mismatched);

        using (torch.no_grad())
        {
            foreach (var (key, target) in own)
            {
                if (!state.TryGetValue(key, out var src) || !target.shape.AsSpan().SequenceEqual(src.shape)) continue;
                target.copy_(src);
            }
        }
        return new LoadResult(missing, unexpected, mismatched);
    }

    /// <summary>
    /// PyTorch's <c>_load_from_state_dict</c> hook: before <see cref="load_state_dict"/> matches keys, each
    /// module may adapt the entries under its <paramref name="prefix"/> (e.g. a frozen batch norm drops the
    /// step counter a trainable one saved). The dictionary is the load's own copy.
    /// </summary>
    protected virtual void adapt_loaded_state(string prefix, IDictionary<string, Tensor> state)
    {
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Describe(sb, "", 0);
        return sb.ToString();
    }

    private void Describe(StringBuilder sb, string name, int depth)
    {
        sb.Append(' ', depth * 2).Append(name.Length > 0 ? name + ": " : "").Append(GetType().Name).AppendLine();
        foreach (var (n, child) in _modules) child.Describe(sb, n, depth + 1);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, child) in _modules) child.Dispose();
        foreach (var (_, p) in _parameters) p?.Dispose();
        foreach (var (_, b) in _buffers) b?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A module with a typed forward, callable like PyTorch's `module(x)` via <see cref="call"/>.</summary>
public abstract class Module<TIn, TOut> : Module
{
    public abstract TOut forward(TIn input);
    public TOut call(TIn input) => forward(input);
}

public sealed record LoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys, IReadOnlyList<string> MismatchedKeys);

public sealed class StateDictException(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    : Exception(Format(module, missing, unexpected, mismatched))
{
    public IReadOnlyList<string> MissingKeys { get; } = missing;
    public IReadOnlyList<string> UnexpectedKeys { get; } = unexpected;
    public IReadOnlyList<string> MismatchedKeys { get; } = mismatched;

    /// <summary>The message on one line (for a command-line error), long key lists shortened.</summary>
    public string OneLine
    {
        get
        {
            static string Few(IReadOnlyList<string> keys) =>
                string.Join(", ", keys.Take(8)) + (keys.Count > 8 ? $", … ({keys.Count - 8} more)" : "");
            var parts = new List<string>();
            if (MissingKeys.Count > 0) parts.Add($"missing key(s) ({MissingKeys.Count}): {Few(MissingKeys)}");
            if (UnexpectedKeys.Count > 0) parts.Add($"unexpected key(s) ({UnexpectedKeys.Count}): {Few(UnexpectedKeys)}");
            if (MismatchedKeys.Count > 0) parts.Add($"size mismatch ({MismatchedKeys.Count}): {string.Join("; ", MismatchedKeys.Take(4))}{(MismatchedKeys.Count > 4 ? "; …" : "")}");
            return string.Join("; ", parts);
        }
    }

    private static string Format(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var sb = new StringBuilder($"Error(s) in loading state_dict for {module}:");
        if (missing.Count > 0) sb.Append($"\n  Missing key(s) ({missing.Count}): ").Append(string.Join(", ", missing));
        if (unexpected.Count > 0) sb.Append($"\n  Unexpected key(s) ({unexpected.Count}): ").Append(string.Join(", ", unexpected));
        if (mismatched.Count > 0) sb.Append($"\n  Size mismatch ({mismatched.Count}): ").Append(string.Join("; ", mismatched));
        return sb.ToString();
    }
}
