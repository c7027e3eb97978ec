using RegionClip.Torch;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// The hyper-parameters of a CLIP ResNet model (RN50, RN101, RN50x4, RN50x16, RN50x64 or any
/// smaller test variant), inferred from a state dict's shapes as OpenAI's build_model does.
/// </summary>
public sealed record ClipConfig(
    int EmbedDim,
    int ImageResolution,
    int[] VisionLayers,
    int VisionWidth,
    int ContextLength,
    int VocabSize,
    int TransformerWidth,
    int TransformerHeads,
    int TransformerLayers)
{
    public int VisionHeads => VisionWidth * 32 / 64;

    /// <summary>Channels of res4 (layer3 output), the feature RegionCLIP's backbone returns.</summary>
    public int Res4Channels => VisionWidth * 4 * 4;

    /// <summary>False for a visual-only checkpoint (e.g. a fine-tuned RegionCLIP file without lang_encoder.*).</summary>
    public bool HasTextTower => TransformerLayers > 0;

    /// <summary>
    /// RegionCLIP's RoIAlign output size: twice the attention-pool grid, so res5 (stride 2) hands
    /// attnpool exactly the grid its positional embedding was trained on (14 for RN50, 18 for RN50x4).
    /// </summary>
    public int PoolerResolution => 2 * (ImageResolution / 32);

    /// <summary>A readable name: the official one when the shapes match one, else "custom".</summary>
    public string Name => (VisionWidth, string.Join(',', VisionLayers), EmbedDim) switch
    {
        (64, "3,4,6,3", 1024) => "RN50",
        (64, "3,4,23,3", 512) => "RN101",
        (80, "4,6,10,6", 640) => "RN50x4",
        (96, "6,8,18,8", 768) => "RN50x16",
        (128, "3,15,36,10", 1024) => "RN50x64",
        _ => "custom",
    };

    /// <summary>ViT CLIP checkpoints have no res4/res5 split, so RegionCLIP cannot use them.</summary>
    public static void RejectVit(IEnumerable<string> keys, string source)
    {
        if (keys.Any(k => k == "visual.proj" || k.StartsWith("visual.transformer.", StringComparison.Ordinal)))
            throw new NotSupportedException($"'{source}' is a ViT CLIP checkpoint (it has visual.proj / visual.transformer.*); RegionCLIP uses the ResNet variants (RN50, RN50x4, …)");
    }

    /// <summary>
    /// Reads the configuration from OpenAI-named keys ("visual.*", "transformer.*", …). With
    /// <paramref name="requireTextTower"/> false a checkpoint without text keys gives a visual-only
    /// configuration (text fields 0, embedding size from attnpool.c_proj).
    /// </summary>
    public static ClipConfig Infer(IReadOnlyDictionary<string, Tensor> state, string source, bool requireTextTower = true)
    {
        RejectVit(state.Keys, source);
        Tensor Need(string key) => state.TryGetValue(key, out var t) ? t
            : throw new InvalidDataException($"'{source}' is not a CLIP ResNet checkpoint: key '{key}' is missing");

        var layers = new int[4];
        for (int b = 1; b <= 4; b++)
        {
            var prefix = $"visual.layer{b}.";
            layers[b - 1] = state.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Select(k => k[prefix.Length..].Split('.')[0]).Distinct().Count();
            if (layers[b - 1] == 0) throw new InvalidDataException($"'{source}' is not a CLIP ResNet checkpoint: no 'visual.layer{b}.*' keys");
        }
        var pos = Need("visual.attnpool.positional_embedding").shape;
        var grid = (int)Math.Round(Math.Sqrt(pos[0] - 1));
        if (grid * grid + 1 != pos[0])
            throw new InvalidDataException($"'{source}': visual.attnpool.positional_embedding has {pos[0]} rows, not a square grid plus one");
        var visionWidth = (int)Need("visual.layer1.0.conv1.weight").shape[0];
        if (!requireTextTower && !state.ContainsKey("ln_final.weight"))
            return new ClipConfig((int)Need("visual.attnpool.c_proj.weight").shape[0], grid * 32, layers, visionWidth, 0, 0, 0, 0, 0);
        var textWidth = (int)Need("ln_final.weight").shape[0];
        var blocks = state.Keys.Where(k => k.StartsWith("transformer.resblocks.", StringComparison.Ordinal))
            .Select(k => k.Split('.')[2]).Distinct().Count();
        return new ClipConfig(
            EmbedDim: (int)Need("text_projection").shape[1],
            ImageResolution: grid * 32,
            VisionLayers: layers,
            VisionWidth: visionWidth,
            ContextLength: (int)Need("positional_embedding").shape[0],
            VocabSize: (int)Need("token_embedding.weight").shape[0],
            TransformerWidth: textWidth,
            TransformerHeads: textWidth / 64,
            TransformerLayers: blocks);
    }
}
