using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Detection;
using RegionClip.Torch.optim;
using RegionClip.Training.Engine;

namespace RegionClip.Training.Transfer;

/// <summary>
/// The resumable transfer-learning checkpoint (<see cref="TrainingCheckpointFile"/>'s layout, written atomically):
/// "model" holds the detector's trained tensors under the official keys (backbone.*, roi_heads.box_predictor.*),
/// "optimizer" SGD's momentum buffers; the frozen RPN and the text tower come from their files again.
/// </summary>
public static class DetectorCheckpoint
{
    // Unknown members are errors: another trainer's checkpoint must not pass for this one with defaults.
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() }, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static void Write(string path, OpenVocabularyDetector detector, Optimizer optimizer, TrainingState state, DetectorTrainOptions options)
    {
        var model = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in detector.Weights.state_dict()) model[k] = v;
        TrainingCheckpointFile.Save(path, model, optimizer, state, options, Json);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static ResumableCheckpoint<DetectorTrainOptions> Read(string path) => ResumableCheckpoint<DetectorTrainOptions>.Read(path,
        "a transfer-learning checkpoint", Json, "does not fit the detector its options describe (were model.init or the classes changed?)");
}
