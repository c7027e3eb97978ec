using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Clip;
using RegionClip.Torch.optim;
using RegionClip.Training.Engine;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// The resumable pretraining checkpoint (<see cref="TrainingCheckpointFile"/>'s layout, written
/// atomically): "model" is the student's visual tower (CLIP ModifiedResNet keys), "optimizer" SGD's
/// momentum buffers. The teacher, text tower and concepts are frozen and come from their files again.
/// </summary>
public static class PretrainCheckpoint
{
    // Unknown members are errors: another trainer's checkpoint must not pass for this one with defaults.
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() }, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static void Write(string path, ModifiedResNet student, Optimizer optimizer, TrainingState state, PretrainOptions options)
    {
        var model = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in student.state_dict()) model[k] = v;
        TrainingCheckpointFile.Save(path, model, optimizer, state, options, Json);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static ResumableCheckpoint<PretrainOptions> Read(string path) => ResumableCheckpoint<PretrainOptions>.Read(path,
        "a pretraining checkpoint", Json, "does not fit the student its options describe (was model.student changed?)");
}
