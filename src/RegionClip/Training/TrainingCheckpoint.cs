using RegionClip.Training.Engine;
using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Clip;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training;

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

    public static void Write(string path, ClipModel model, Optimizer optimizer, TrainingState state, TeacherOptions options)
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
    public void Restore(ClipModel model, Optimizer optimizer) =>
        TrainingCheckpointFile.Restore(Path, _root, model, optimizer, "does not fit the teacher it describes (was the world's vocabulary changed?)");

    public void Dispose() => Checkpoint.DisposeTree(_root);
}
