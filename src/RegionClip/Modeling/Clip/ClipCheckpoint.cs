using RegionClip.Checkpoints;
using RegionClip.Torch;
using RegionClip.Torch.Serialization;

namespace RegionClip.Modeling.Clip;

public enum ClipCheckpointKind
{
    /// <summary>OpenAI's TorchScript archive (RN50.pt, RN50x4.pt, …).</summary>
    OpenAiTorchScript,
    /// <summary>A plain state dict with OpenAI's key names.</summary>
    OpenAiStateDict,
    /// <summary>regionclip_pretrained-*.pth / regionclip_finetuned-*.pth (backbone.*, lang_encoder.*).</summary>
    RegionClip,
}

/// <summary>
/// A CLIP state dict in OpenAI's key names, whatever file it came from. Owns its tensors.
/// </summary>
public sealed class ClipCheckpoint : IDisposable
{
    /// <summary>The key prefix of a fine-tuned detector's box predictor (the official CLIPFastRCNN layout).</summary>
    public const string BoxPredictorPrefix = "roi_heads.box_predictor.";

    private ClipCheckpoint(string path, ClipCheckpointKind kind, OrderedDictionary<string, Tensor> state, IReadOnlyList<string> ignored,
        OrderedDictionary<string, Tensor> boxPredictor)
    {
        Path = path;
        Kind = kind;
        State = state;
        IgnoredPrefixes = ignored;
        BoxPredictor = boxPredictor;
    }

    public string Path { get; }
    public ClipCheckpointKind Kind { get; }
    public OrderedDictionary<string, Tensor> State { get; }

    /// <summary>
    /// A fine-tuned file's roi_heads.box_predictor.* tensors, without the prefix (cls_score.weight, bbox_pred.bias, …);
    /// empty for a CLIP or pretrained file. Read in the same pass as the CLIP weights, so a detector loads its file once.
    /// </summary>
    public OrderedDictionary<string, Tensor> BoxPredictor { get; }

    /// <summary>Top-level groups present in the file but not part of CLIP (teacher, offline RPN, ROI heads).</summary>
    public IReadOnlyList<string> IgnoredPrefixes { get; }

    /// <summary>
    /// Where a load says, in one line, which groups of a file it ignored (default: standard error;
    /// null to stay silent). Library users who log elsewhere can redirect it.
    /// </summary>
    public static Action<string>? Notice { get; set; } = message => Console.Error.WriteLine(message);

    /// <summary>
    /// RegionCLIP's language encoder (the official CLIPLangEncoder) has no logit_scale, and nothing in
    /// RegionCLIP uses it (a fixed temperature of 0.01 scores regions), so files of that layout lack it.
    /// </summary>
    public bool LacksLogitScale => Kind == ClipCheckpointKind.RegionClip && HasTextTower && !State.ContainsKey("logit_scale");

    public bool HasTextTower => State.ContainsKey("token_embedding.weight");

    /// <summary>Reads and auto-detects the file; float16 weights become float32.</summary>
    public static ClipCheckpoint Load(string path)
    {
        var fileKind = Checkpoint.Identify(path);
        var loaded = torch.load(path, halfToFloat: true);
        var root = loaded;   // may become the "model" entry; everything loaded is freed below
        try
        {
            if (root is Tensor t)
                throw new InvalidDataException($"'{path}' holds a single tensor [{string.Join(", ", t.shape)}] (a concept-embedding file?), not a CLIP model");
            if (root is OrderedDictionary<string, object?> top && top.TryGetValue("model", out var inner) && inner is OrderedDictionary<string, object?> model)
                root = model;
            if (root is not OrderedDictionary<string, object?> dict)
                throw new InvalidDataException($"'{path}' does not hold a state dict; found {root?.GetType().Name ?? "None"}");
            return FromDict(path, fileKind, dict);
        }
        finally
        {
            Checkpoint.DisposeTree(loaded);
        }
    }

    private static ClipCheckpoint FromDict(string path, CheckpointKind fileKind, OrderedDictionary<string, object?> dict)
    {
        var keys = dict.Where(kv => kv.Value is Tensor).Select(kv => kv.Key).ToList();
        ClipCheckpointKind kind;
        Func<string, string?> rename;
        ClipConfig.RejectVit(keys, path);
        if (keys.Contains("visual.layer1.0.conv1.weight"))
        {
            kind = fileKind == CheckpointKind.TorchScript ? ClipCheckpointKind.OpenAiTorchScript : ClipCheckpointKind.OpenAiStateDict;
            rename = k => k;
        }
        else if (keys.Contains("backbone.layer1.0.conv1.weight") && keys.Contains("backbone.attnpool.positional_embedding"))
        {
            // RegionCLIP: the student's visual tower is "backbone.*", the frozen text tower "lang_encoder.*".
            kind = ClipCheckpointKind.RegionClip;
            rename = k => k.StartsWith("backbone.", StringComparison.Ordinal) ? "visual." + k["backbone.".Length..]
                : k.StartsWith("lang_encoder.", StringComparison.Ordinal) ? k["lang_encoder.".Length..]
                : null;
        }
        else
        {
            throw new InvalidDataException($"'{path}' is not a CLIP ResNet or RegionCLIP checkpoint: {Describe(keys)}");
        }

        var state = new OrderedDictionary<string, Tensor>();
        var boxPredictor = new OrderedDictionary<string, Tensor>();
        var ignored = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var name = rename(key);
            if (name is null && kind == ClipCheckpointKind.RegionClip && key.StartsWith(BoxPredictorPrefix, StringComparison.Ordinal))
                boxPredictor[key[BoxPredictorPrefix.Length..]] = ((Tensor)dict[key]!).alias().DetachFromDisposeScope();
            else if (name is null) ignored.Add(key.Split('.')[0]);
            else state[name] = ((Tensor)dict[key]!).alias().DetachFromDisposeScope();
        }
        if (ignored.Count > 0)
            Notice?.Invoke($"'{path}': using backbone.*{(state.ContainsKey("token_embedding.weight") ? " and lang_encoder.*" : "")}{(boxPredictor.Count > 0 ? " and " + BoxPredictorPrefix + "*" : "")}; ignored {string.Join(", ", ignored.Select(g => g + ".*"))}");
        return new ClipCheckpoint(path, kind, state, ignored.ToList(), boxPredictor);
    }

    /// <summary>Names what a non-CLIP file looks like, from its top-level key groups.</summary>
    private static string Describe(List<string> keys)
    {
        if (keys.Count == 0) return "it holds no tensors";
        var groups = keys.GroupBy(k => k.Split('.')[0]).Select(g => $"{g.Key}.* ({g.Count()})").Take(6);
        var hint = keys.Any(k => k.StartsWith("backbone.res", StringComparison.Ordinal) || k.StartsWith("backbone.bottom_up.", StringComparison.Ordinal))
            ? " — this looks like a detectron2 ResNet/RPN checkpoint (an offline RPN), not CLIP"
            : "";
        return $"found {keys.Count} tensors under {string.Join(", ", groups)}{hint}";
    }

    public void Dispose()
    {
        foreach (var t in State.Values.Concat(BoxPredictor.Values)) t.Dispose();
        State.Clear();
        BoxPredictor.Clear();
    }
}
