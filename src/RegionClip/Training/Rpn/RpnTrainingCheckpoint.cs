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
public sealed class RpnTrainingCheckpoint : IDisposable
{
    // Unknown members are errors: another trainer's checkpoint must not pass for this one with defaults.
    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() }, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };
    private readonly OrderedDictionary<string, object?> _root;

    private RpnTrainingCheckpoint(string path, OrderedDictionary<string, object?> root, RpnTrainingOptions options, TrainingState state)
    {
        Path = path;
        _root = root;
        Options = options;
        State = state;
    }

    public string Path { get; }
    public RpnTrainingOptions Options { get; }
    public TrainingState State { get; }

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
    public static RpnTrainingCheckpoint Read(string path)
    {
        var (root, options, state) = TrainingCheckpointFile.Load<RpnTrainingOptions>(path, "an RPN training checkpoint", Json);
        return new RpnTrainingCheckpoint(path, root, options, state);
    }

    /// <summary>Copies the saved weights, BN statistics and optimizer state into a network and optimizer built from <see cref="Options"/>.</summary>
    public void Restore(ProposalNetwork network, Optimizer optimizer) =>
        TrainingCheckpointFile.Restore(Path, _root, network, optimizer, "does not fit the network its options describe",
            key => !key.StartsWith("proposal_generator.anchor_generator.", StringComparison.Ordinal));   // recorded anchors are derived, not parameters

    public void Dispose() => Checkpoint.DisposeTree(_root);
}
