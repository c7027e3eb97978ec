using System.Text.Json;
using RegionClip.Torch;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training;

/// <summary>
/// Where a training run stands. Data order, caption choice and mirroring are a pure function of
/// (Seed, Epoch, position in the epoch), so (Seed, Epoch, Cursor) is the data sampler's complete
/// random state; the LR schedule is closed-form in Step.
/// </summary>
/// <param name="TotalSteps">Steps of the whole run; -1 while a --minutes run has not measured its speed yet.</param>
/// <param name="Cursor">Batches of <paramref name="Epoch"/> already done.</param>
/// <param name="Seconds">Training time spent so far, over all sessions.</param>
/// <param name="Images">Training images of the world: a resumed run must see the same data.</param>
public sealed record TrainingState(long Step, long TotalSteps, int Epoch, int Cursor, ulong Seed, double Seconds, int Images);

/// <summary>
/// The resumable training checkpoint: a torch.save dict {"model": CLIP state dict (OpenAI keys, BN
/// statistics included), "optimizer": AdamW state (PyTorch layout), "scheduler": {"last_iter"},
/// "rng": {"seed", "epoch", "cursor"}, "step", "total_steps", "seconds", "images", "options" (JSON)}.
/// Written atomically (temporary file, then rename), so a kill never leaves a half-written file;
/// its "model" entry also loads directly as a CLIP model (<see cref="Modeling.Clip.ClipModel.Load"/>).
/// </summary>
public sealed class TrainingCheckpoint : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly OrderedDictionary<string, object?> _root;

    private TrainingCheckpoint(string path, OrderedDictionary<string, object?> root, TeacherOptions options, TrainingState state)
    {
        Path = path;
        _root = root;
        Options = options;
        State = state;
    }

    public string Path { get; }
    public TeacherOptions Options { get; }
    public TrainingState State { get; }

    public static void Write(string path, TeacherClip model, Optimizer optimizer, TrainingState state, TeacherOptions options)
    {
        var modelDict = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in model.state_dict()) modelDict[k] = v;
        var optimizerDict = optimizer.state_dict();
        try
        {
            torch.save(new OrderedDictionary<string, object?>
            {
                ["model"] = modelDict,
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
                ["options"] = JsonSerializer.Serialize(options, Json),
            }, path);
        }
        finally
        {
            Checkpoint.DisposeTree(optimizerDict);   // state_dict() hands out clones
        }
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static TrainingCheckpoint Read(string path)
    {
        var root = torch.load(path);
        try
        {
            if (root is not OrderedDictionary<string, object?> dict)
                throw new InvalidDataException($"'{path}' is not a teacher training checkpoint (it holds {root?.GetType().Name ?? "None"}, not a dict)");
            T Need<T>(OrderedDictionary<string, object?> d, string key, string where) =>
                d.TryGetValue(key, out var v) && v is T t ? t
                : throw new InvalidDataException($"'{path}' is not a teacher training checkpoint: {where}\"{key}\" is missing or not a {typeof(T).Name}");
            var options = JsonSerializer.Deserialize<TeacherOptions>(Need<string>(dict, "options", ""), Json)
                          ?? throw new InvalidDataException($"'{path}': \"options\" is empty");
            Need<OrderedDictionary<string, object?>>(dict, "model", "");
            Need<OrderedDictionary<string, object?>>(dict, "optimizer", "");
            var rng = Need<OrderedDictionary<string, object?>>(dict, "rng", "");
            var state = new TrainingState(
                Need<long>(dict, "step", ""), Need<long>(dict, "total_steps", ""),
                checked((int)Need<long>(rng, "epoch", "rng.")), checked((int)Need<long>(rng, "cursor", "rng.")),
                unchecked((ulong)Need<long>(rng, "seed", "rng.")), Need<double>(dict, "seconds", ""), checked((int)Need<long>(dict, "images", "")));
            return new TrainingCheckpoint(path, dict, options, state);
        }
        catch
        {
            Checkpoint.DisposeTree(root);
            throw;
        }
    }

    /// <summary>Copies the saved weights, BN statistics and optimizer state into a model and optimizer built from <see cref="Options"/>.</summary>
    public void Restore(TeacherClip model, Optimizer optimizer)
    {
        var weights = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in (OrderedDictionary<string, object?>)_root["model"]!)
            if (v is Tensor t) weights[k] = t;
        try
        {
            model.load_state_dict(weights);
        }
        catch (Torch.nn.StateDictException e)
        {
            throw new InvalidDataException($"'{Path}' does not fit the teacher it describes (was the world's vocabulary changed?): {e.Message}", e);
        }
        optimizer.load_state_dict((OrderedDictionary<string, object?>)_root["optimizer"]!);
    }

    public void Dispose() => Checkpoint.DisposeTree(_root);
}
