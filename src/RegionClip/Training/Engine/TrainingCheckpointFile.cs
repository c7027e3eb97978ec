using System.Text.Json;
using RegionClip.Torch;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training.Engine;

/// <summary>
/// The torch.save layout of every resumable trainer's checkpoint: {"model": state dict,
/// "optimizer": optimizer state (PyTorch layout), "scheduler": {"last_iter"}, "rng": {"seed",
/// "epoch", "cursor"}, "step", "total_steps", "seconds", "images", "options" (JSON)}. torch.save
/// writes atomically (temporary file, then rename), so a kill never leaves a half-written file.
/// </summary>
public static class TrainingCheckpointFile
{
    public static void Save<TOptions>(string path, OrderedDictionary<string, object?> model, Optimizer optimizer, TrainingState state,
        TOptions options, JsonSerializerOptions json)
    {
        var optimizerDict = optimizer.state_dict();
        try
        {
            torch.save(new OrderedDictionary<string, object?>
            {
                ["model"] = model,
                ["optimizer"] = optimizerDict,
                ["scheduler"] = new OrderedDictionary<string, object?> { ["last_iter"] = state.Step },
                ["rng"] = new OrderedDictionary<string, object?>
                {
                    ["seed"] = unchecked((long)state.Seed), ["epoch"] = (long)state.Epoch, ["cursor"] = (long)state.Cursor,
                },
                ["step"] = state.Step,
                ["total_steps"] = state.TotalSteps,
                ["seconds"] = state.Seconds,
                ["images"] = (long)state.Images,
                ["options"] = JsonSerializer.Serialize(options, json),
            }, path);
        }
        finally
        {
            Checkpoint.DisposeTree(optimizerDict);   // state_dict() hands out clones
        }
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save"/>; errors name the file and the missing or
    /// malformed entry, and <paramref name="kind"/> ("a teacher training checkpoint"). The caller owns
    /// the returned tree (<see cref="Checkpoint.DisposeTree"/>).
    /// </summary>
    public static (OrderedDictionary<string, object?> Root, TOptions Options, TrainingState State) Load<TOptions>(
        string path, string kind, JsonSerializerOptions json)
    {
        var root = torch.load(path);
        try
        {
            if (root is not OrderedDictionary<string, object?> dict)
                throw new InvalidDataException($"'{path}' is not {kind} (it holds {root?.GetType().Name ?? "None"}, not a dict)");
            T Need<T>(OrderedDictionary<string, object?> d, string key, string where) =>
                d.TryGetValue(key, out var v) && v is T t ? t
                : throw new InvalidDataException($"'{path}' is not {kind}: {where}\"{key}\" is missing or not a {typeof(T).Name}");
            TOptions options;
            var optionsJson = Need<string>(dict, "options", "");
            try
            {
                options = JsonSerializer.Deserialize<TOptions>(optionsJson, json)
                          ?? throw new InvalidDataException($"'{path}': \"options\" is empty");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}': \"options\" are not the options of {kind}: " + (FlatLayout<TOptions>(optionsJson) is { } sections
                    ? $"they are in the older flat layout (before the {sections} sections), which this version cannot resume; start afresh without resume"
                    : e.Message), e);
            }
            Need<OrderedDictionary<string, object?>>(dict, "model", "");
            Need<OrderedDictionary<string, object?>>(dict, "optimizer", "");
            var rng = Need<OrderedDictionary<string, object?>>(dict, "rng", "");
            var state = new TrainingState(
                Need<long>(dict, "step", ""), Need<long>(dict, "total_steps", ""),
                checked((int)Need<long>(rng, "epoch", "rng.")), checked((int)Need<long>(rng, "cursor", "rng.")),
                unchecked((ulong)Need<long>(rng, "seed", "rng.")), Need<double>(dict, "seconds", ""), checked((int)Need<long>(dict, "images", "")));
            return (dict, options, state);
        }
        catch
        {
            Checkpoint.DisposeTree(root);
            throw;
        }
    }

    /// <summary>
    /// The section names of <typeparamref name="TOptions"/> ("model, solver") when <paramref name="optionsJson"/> is a JSON object
    /// that has none of them: options saved before they were grouped into sections. Null otherwise.
    /// </summary>
    private static string? FlatLayout<TOptions>(string optionsJson)
    {
        var sections = typeof(TOptions).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.PropertyType.IsClass && p.PropertyType != typeof(string) && !p.PropertyType.IsArray && p.PropertyType.GetConstructor(Type.EmptyTypes) is not null)
            .Select(p => p.Name).ToList();
        try
        {
            using var doc = JsonDocument.Parse(optionsJson);
            return sections.Count > 0 && doc.RootElement.ValueKind == JsonValueKind.Object && !sections.Any(n => doc.RootElement.TryGetProperty(n, out _))
                ? string.Join(", ", sections).ToLowerInvariant() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads the saved weights (those whose key <paramref name="keep"/> accepts) into <paramref name="model"/>
    /// and the optimizer state into <paramref name="optimizer"/>; a mismatch names the file and <paramref name="mismatch"/>.
    /// </summary>
    public static void Restore(string path, OrderedDictionary<string, object?> root, Torch.nn.Module model, Optimizer optimizer,
        string mismatch, Func<string, bool>? keep = null)
    {
        var weights = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in (OrderedDictionary<string, object?>)root["model"]!)
            if (v is Tensor t && (keep?.Invoke(k) ?? true)) weights[k] = t;
        try
        {
            model.load_state_dict(weights);
        }
        catch (Torch.nn.StateDictException e)
        {
            throw new InvalidDataException($"'{path}' {mismatch}: {e.Message}", e);
        }
        optimizer.load_state_dict((OrderedDictionary<string, object?>)root["optimizer"]!);
    }
}

/// <summary>
/// A loaded resumable checkpoint of some trainer (<see cref="TrainingCheckpointFile"/>'s layout): its options,
/// where the run stood, and the saved weights and optimizer state to copy into a freshly built model.
/// </summary>
public sealed class ResumableCheckpoint<TOptions>(string path, OrderedDictionary<string, object?> root, TOptions options, TrainingState state,
    string mismatch, Func<string, bool>? keep) : IDisposable
{
    public string Path { get; } = path;
    public TOptions Options { get; } = options;
    public TrainingState State { get; } = state;

    /// <summary>
    /// Reads a checkpoint; <paramref name="kind"/> names it in errors ("a teacher training checkpoint"),
    /// <paramref name="mismatch"/> says why a model might not fit it, <paramref name="keep"/> picks the saved
    /// entries that are weights (not derived data).
    /// </summary>
    public static ResumableCheckpoint<TOptions> Read(string path, string kind, JsonSerializerOptions json, string mismatch, Func<string, bool>? keep = null)
    {
        var (root, options, state) = TrainingCheckpointFile.Load<TOptions>(path, kind, json);
        return new ResumableCheckpoint<TOptions>(path, root, options, state, mismatch, keep);
    }

    /// <summary>Copies the saved weights, BN statistics and optimizer state into a model and optimizer built from <see cref="Options"/>.</summary>
    public void Restore(Torch.nn.Module model, Optimizer optimizer) => TrainingCheckpointFile.Restore(Path, root, model, optimizer, mismatch, keep);

    public void Dispose() => Checkpoint.DisposeTree(root);
}
