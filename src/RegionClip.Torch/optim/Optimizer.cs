namespace RegionClip.Torch.optim;

/// <summary>A group of parameters sharing hyper-parameters (PyTorch's param_groups entry).</summary>
public class ParamGroup(IEnumerable<Tensor> parameters)
{
    public IReadOnlyList<Tensor> Params { get; } = parameters.ToList();
    public double lr { get; set; }
    /// <summary>The learning rate schedules scale from (set when the group is created).</summary>
    public double initial_lr { get; set; }
    public double weight_decay { get; set; }
}

/// <summary>
/// Base optimizer: per-parameter state tensors, zero_grad, and a state dict in PyTorch's layout
/// ({"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}) for exact resume.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<Tensor, Dictionary<string, object>> _state = new(ReferenceEqualityComparer.Instance);

    protected Optimizer(IEnumerable<ParamGroup> groups)
    {
        param_groups = groups.ToList();
        if (param_groups.Count == 0 || param_groups.All(g => g.Params.Count == 0))
            throw new ArgumentException("optimizer got an empty parameter list");
    }

    public IReadOnlyList<ParamGroup> param_groups { get; }

    public abstract void step();

    /// <summary>Clears gradients (to None by default, as PyTorch ≥ 2.0 does).</summary>
    public void zero_grad(bool setToNone = true)
    {
        foreach (var g in param_groups)
            foreach (var p in g.Params)
            {
                if (setToNone) { p.grad = null; continue; }
                using var grad = p.grad;
                grad?.zero_();
            }
    }

    /// <summary>Per-parameter state (tensors are owned by the optimizer; numbers are boxed doubles/longs).</summary>
    protected Dictionary<string, object> StateOf(Tensor p)
    {
        if (!_state.TryGetValue(p, out var s)) _state[p] = s = new Dictionary<string, object>();
        return s;
    }

    protected Tensor StateTensor(Tensor p, string name, Func<Tensor> create)
    {
        var s = StateOf(p);
        if (s.TryGetValue(name, out var v)) return (Tensor)v;
        var t = create().DetachFromDisposeScope();
        s[name] = t;
        return t;
    }

    /// <summary>Hyper-parameters of a group written to / read from the state dict (besides lr, weight_decay).</summary>
    protected abstract IEnumerable<(string name, object value)> GroupOptions(ParamGroup g);
    protected abstract void SetGroupOption(ParamGroup g, string name, object value);

    public OrderedDictionary<string, object?> state_dict()
    {
        var state = new OrderedDictionary<long, object?>();
        var groups = new List<object?>();
        long index = 0;
        foreach (var g in param_groups)
        {
            var ids = new List<object?>();
            foreach (var p in g.Params)
            {
                if (_state.TryGetValue(p, out var s))
                {
                    var entry = new OrderedDictionary<string, object?>();
                    foreach (var (k, v) in s) entry[k] = v is Tensor t ? t.clone() : v;
                    state[index] = entry;
                }
                ids.Add(index++);
            }
            var group = new OrderedDictionary<string, object?> { ["lr"] = g.lr, ["initial_lr"] = g.initial_lr, ["weight_decay"] = g.weight_decay };
            foreach (var (k, v) in GroupOptions(g)) group[k] = v;
            group["params"] = ids;
            groups.Add(group);
        }
        return new OrderedDictionary<string, object?> { ["state"] = state, ["param_groups"] = groups };
    }

    /// <summary>Restores state written by <see cref="state_dict"/> (or by PyTorch for the same optimizer type).</summary>
    public void load_state_dict(OrderedDictionary<string, object?> dict)
    {
        if (dict.GetValueOrDefault("param_groups") is not List<object?> groups || groups.Count != param_groups.Count)
            throw new ArgumentException($"optimizer state has {(dict.GetValueOrDefault("param_groups") as List<object?>)?.Count ?? 0} param groups, this optimizer has {param_groups.Count}");
        var byIndex = new Dictionary<long, Tensor>();
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var src = (OrderedDictionary<string, object?>)groups[gi]!;
            var g = param_groups[gi];
            var ids = (List<object?>)src["params"]!;
            if (ids.Count != g.Params.Count)
                throw new ArgumentException($"param group {gi} has {ids.Count} parameters in the state, {g.Params.Count} in this optimizer");
            for (int i = 0; i < ids.Count; i++) byIndex[(long)ids[i]!] = g.Params[i];
            foreach (var (k, v) in src)
            {
                switch (k)
                {
                    case "params": break;
                    case "lr": g.lr = Convert.ToDouble(v); break;
                    case "initial_lr": g.initial_lr = Convert.ToDouble(v); break;
                    case "weight_decay": g.weight_decay = Convert.ToDouble(v); break;
                    default: if (v is not null) SetGroupOption(g, k, v); break;
                }
            }
        }
        ClearState();
        if (dict.GetValueOrDefault("state") is OrderedDictionary<long, object?> state)
        {
            foreach (var (idx, entryObj) in state)
            {
                if (!byIndex.TryGetValue(idx, out var p)) throw new ArgumentException($"optimizer state names unknown parameter index {idx}");
                var entry = (OrderedDictionary<string, object?>)entryObj!;
                var s = StateOf(p);
                foreach (var (k, v) in entry)
                {
                    if (v is Tensor t)
                    {
                        using var converted = t.to(t.is_floating_point() ? p.dtype : t.dtype, p.device);
                        s[k] = converted.clone().DetachFromDisposeScope();
                    }
                    else if (v is not null) s[k] = v;
                }
            }
        }
    }

    private void ClearState()
    {
        foreach (var s in _state.Values)
            foreach (var v in s.Values)
                if (v is Tensor t) t.Dispose();
        _state.Clear();
    }

    public void Dispose()
    {
        ClearState();
        GC.SuppressFinalize(this);
    }
}
