using RegionClip.Torch.Native;

namespace RegionClip.Torch.Serialization;

/// <summary>State-dict level helpers over <see cref="torch.load"/> and <see cref="torch.save"/>.</summary>
public static class Checkpoint
{
    /// <summary>What kind of PyTorch file this is, read from its header without unpickling.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a PyTorch checkpoint, or truncated.</exception>
    public static CheckpointKind Identify(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"cannot load '{path}': it is a directory, not a checkpoint file");
        if (!File.Exists(path)) throw new FileNotFoundException($"cannot load '{path}': the file does not exist", path);
        if (NativeMethods.rc_checkpoint_kind(path, out var kind) != 0) throw new InvalidDataException(NativeLoadError(path));
        return (CheckpointKind)kind;
    }

    /// <summary>The native error of a failed load; the shim's messages already name the file.</summary>
    internal static string NativeLoadError(string path)
    {
        var message = TorchException.LastNativeError();
        var at = message.IndexOf("cannot load '", StringComparison.Ordinal);
        return at >= 0 ? message[at..] : $"cannot load '{path}': {message}";
    }

    /// <summary>The native error without its "op: " prefix.</summary>
    internal static string NativeReason(string op)
    {
        var message = TorchException.LastNativeError();
        return message.StartsWith(op + ": ", StringComparison.Ordinal) ? message[(op.Length + 2)..] : message;
    }

    /// <summary>
    /// Loads a state dict: the file's top-level "model" dict when present (detectron2 style),
    /// else the file itself. Nested dicts are flattened with dotted keys; non-tensor entries are skipped.
    /// </summary>
    public static OrderedDictionary<string, Tensor> LoadStateDict(string path, bool halfToFloat = false)
    {
        var root = torch.load(path, halfToFloat);
        if (root is OrderedDictionary<string, object?> top && top.TryGetValue("model", out var model) && model is OrderedDictionary<string, object?>)
        {
            foreach (var (k, v) in top) if (k != "model") DisposeTree(v);
            root = model;
        }
        if (root is not OrderedDictionary<string, object?> dict)
        {
            DisposeTree(root);
            throw new InvalidDataException($"'{path}' does not hold a state dict (a dict of tensors); found {Describe(root)}");
        }
        var result = new OrderedDictionary<string, Tensor>();
        Flatten(dict, "", result);
        return result;
    }

    /// <summary>Saves a state dict, optionally wrapped as {"model": state} like detectron2 checkpoints.</summary>
    public static void SaveStateDict(IReadOnlyDictionary<string, Tensor> state, string path, bool wrapInModel = false)
    {
        var dict = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in state) dict.Add(k, v);
        torch.save(wrapInModel ? new OrderedDictionary<string, object?> { ["model"] = dict } : dict, path);
    }

    private static void Flatten(OrderedDictionary<string, object?> dict, string prefix, OrderedDictionary<string, Tensor> into)
    {
        foreach (var (k, v) in dict)
        {
            switch (v)
            {
                case Tensor t: into[prefix + k] = t; break;
                case OrderedDictionary<string, object?> inner: Flatten(inner, prefix + k + ".", into); break;
                default: DisposeTree(v); break;
            }
        }
    }

    /// <summary>Disposes every tensor inside a loaded value tree.</summary>
    public static void DisposeTree(object? value)
    {
        foreach (var t in TensorsIn(value)) t.Dispose();
    }

    /// <summary>Every tensor inside a value tree (dict values, list and tuple items), depth first.</summary>
    public static IEnumerable<Tensor> TensorsIn(object? value)
    {
        switch (value)
        {
            case Tensor t:
                yield return t;
                break;
            case System.Collections.IDictionary d:
                foreach (var v in d.Values)
                    foreach (var t in TensorsIn(v)) yield return t;
                break;
            case System.Collections.IEnumerable e when value is not string:
                foreach (var v in e)
                    foreach (var t in TensorsIn(v)) yield return t;
                break;
        }
    }

    private static string Describe(object? v) => v switch
    {
        null => "None",
        Tensor t => t.ToString(),
        _ => v.GetType().Name,
    };
}
