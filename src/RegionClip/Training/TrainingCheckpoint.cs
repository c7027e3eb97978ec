using RegionClip.Training.Engine;
using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Clip;
using RegionClip.Torch.optim;

namespace RegionClip.Training;

/// <summary>
/// The teacher's resumable training checkpoint (<see cref="TrainingCheckpointFile"/>'s layout, written
/// atomically): "model" is the CLIP state dict (OpenAI keys, BN statistics included), so it also loads
/// directly as a CLIP model (<see cref="ClipModel.Load"/>); "optimizer" is AdamW's state.
/// </summary>
public static class TrainingCheckpoint
{
    // Unknown members and nulls where the record has none are errors: another trainer's (or a damaged) checkpoint must not pass for this one.
    private static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true };

    public static void Write(string path, ClipModel model, Optimizer optimizer, TrainingState state, TeacherOptions options)
    {
        var modelDict = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in model.state_dict()) modelDict[k] = v;
        TrainingCheckpointFile.Save(path, modelDict, optimizer, state, options, Json);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static ResumableCheckpoint<TeacherOptions> Read(string path) => ResumableCheckpoint<TeacherOptions>.Read(path,
        "a teacher training checkpoint", Json, "does not fit the teacher it describes (was the world's vocabulary changed?)");
}
