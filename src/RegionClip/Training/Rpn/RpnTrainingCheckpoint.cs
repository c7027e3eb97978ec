using System.Text.Json;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Proposals;
using RegionClip.Torch;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Training.Rpn;

/// <summary>
/// The resumable RPN training checkpoint, a torch.save dict: {"model": the network's detectron2 state
/// dict (recorded anchors included, so <see cref="ProposalNetwork.Load"/> reads this file too),
/// "optimizer": SGD/AdamW state (PyTorch layout), "scheduler": {"last_iter"}, "rng": {"seed", "epoch",
/// "cursor"}, "step", "total_steps", "seconds", "images", "options" (JSON)}. Written atomically.
/// </summary>
public sealed class RpnTrainingCheckpoint : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
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
                ["options"] = JsonSerializer.Serialize(options, Json),
            }, path);
        }
        finally
        {
            Checkpoint.DisposeTree(optimizerDict);   // state_dict() hands out clones
        }
    }

    /// <summary>Reads a checkpoint written by <see cref="Write"/>; errors name the file and the missing or malformed entry.</summary>
    public static RpnTrainingCheckpoint Read(string path)
    {
        var root = torch.load(path);
        try
        {
            if (root is not OrderedDictionary<string, object?> dict)
                throw new InvalidDataException($"'{path}' is not an RPN training checkpoint (it holds {root?.GetType().Name ?? "None"}, not a dict)");
            T Need<T>(OrderedDictionary<string, object?> d, string key, string where) =>
                d.TryGetValue(key, out var v) && v is T t ? t
                : throw new InvalidDataException($"'{path}' is not an RPN training checkpoint: {where}\"{key}\" is missing or not a {typeof(T).Name}");
            RpnTrainingOptions options;
            try
            {
                options = JsonSerializer.Deserialize<RpnTrainingOptions>(Need<string>(dict, "options", ""), Json)
                          ?? throw new InvalidDataException($"'{path}': \"options\" is empty");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}': \"options\" is not RPN training options: {e.Message}", e);
            }
            Need<OrderedDictionary<string, object?>>(dict, "model", "");
            Need<OrderedDictionary<string, object?>>(dict, "optimizer", "");
            var rng = Need<OrderedDictionary<string, object?>>(dict, "rng", "");
            var state = new TrainingState(
                Need<long>(dict, "step", ""), Need<long>(dict, "total_steps", ""),
                checked((int)Need<long>(rng, "epoch", "rng.")), checked((int)Need<long>(rng, "cursor", "rng.")),
                unchecked((ulong)Need<long>(rng, "seed", "rng.")), Need<double>(dict, "seconds", ""), checked((int)Need<long>(dict, "images", "")));
            return new RpnTrainingCheckpoint(path, dict, options, state);
        }
        catch
        {
            Checkpoint.DisposeTree(root);
            throw;
        }
    }

    /// <summary>Copies the saved weights, BN statistics and optimizer state into a network and optimizer built from <see cref="Options"/>.</summary>
    public void Restore(ProposalNetwork network, Optimizer optimizer)
    {
        var weights = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in (OrderedDictionary<string, object?>)_root["model"]!)
            if (v is Tensor t && !k.StartsWith("proposal_generator.anchor_generator.", StringComparison.Ordinal)) weights[k] = t;
        try
        {
            network.load_state_dict(weights);
        }
        catch (Torch.nn.StateDictException e)
        {
            throw new InvalidDataException($"'{Path}' does not fit the network its options describe: {e.Message}", e);
        }
        optimizer.load_state_dict((OrderedDictionary<string, object?>)_root["optimizer"]!);
    }

    public void Dispose() => Checkpoint.DisposeTree(_root);
}
