using System.Text.Json;
using System.Text.Json.Serialization;
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
/// The teacher's resumable training checkpoint (<see cref="TrainingCheckpointFile"/>'s layout, written
/// atomically): "model" is the CLIP state dict (OpenAI keys, BN statistics included), so it also loads
/// directly as a CLIP model (<see cref="Modeling.Clip.ClipModel.Load"/>); "optimizer" is AdamW's state.
/// </summary>
public sealed class TrainingCheckpoint : IDisposable
{
    // Unknown members are errors: another trainer's checkpoint must not pass for this one with defaults.
    private static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };
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
        TrainingCheckpointFile.Save(path, modelDict, optimizer, state, options, Json);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static TrainingCheckpoint Read(string path)
    {
        var (root, options, state) = TrainingCheckpointFile.Load<TeacherOptions>(path, "a teacher training checkpoint", Json);
        return new TrainingCheckpoint(path, root, options, state);
    }

    /// <summary>Copies the saved weights, BN statistics and optimizer state into a model and optimizer built from <see cref="Options"/>.</summary>
    public void Restore(TeacherClip model, Optimizer optimizer) =>
        TrainingCheckpointFile.Restore(Path, _root, model, optimizer, "does not fit the teacher it describes (was the world's vocabulary changed?)");

    public void Dispose() => Checkpoint.DisposeTree(_root);
}
