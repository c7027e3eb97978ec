using RegionClip.Training.Engine;
using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Proposals;
using RegionClip.Torch;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training.Rpn;

/// <summary>
/// The resumable RPN training checkpoint (<see cref="TrainingCheckpointFile"/>'s layout, written
/// atomically): "model" is the network's detectron2 state dict (recorded anchors included, so
/// <see cref="ProposalNetwork.Load"/> reads this file too); "optimizer" is SGD's or AdamW's state.
/// </summary>
public static class RpnTrainingCheckpoint
{
    // Unknown members and nulls where the record has none are errors: another trainer's (or a damaged) checkpoint must not pass for this one.
    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() }, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, RespectNullableAnnotations = true };

    public static void Write(string path, ProposalNetwork network, Optimizer optimizer, TrainingState state, RpnTrainingOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var model = new OrderedDictionary<string, object?>();
        foreach (var (k, v) in network.state_dict()) model[k] = v;
        if (network.Config.CellAnchors is not null)
            for (int l = 0; l < network.Rpn.Anchors.Levels; l++) model[AnchorGenerator.CellAnchorsKey(l)] = network.Rpn.Anchors.CellAnchors(l);
        TrainingCheckpointFile.Save(path, model, optimizer, state, options, Json);
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static ResumableCheckpoint<RpnTrainingOptions> Read(string path) => ResumableCheckpoint<RpnTrainingOptions>.Read(path,
        "an RPN training checkpoint", Json, "does not fit the network its options describe",
        key => !key.StartsWith("proposal_generator.anchor_generator.", StringComparison.Ordinal));   // recorded anchors are derived, not parameters
}
