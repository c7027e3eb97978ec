using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// The backbone of the official "clipbackbone" RPN: CLIP's ModifiedResNet from the 3-conv stem to
/// layer3 (res4, stride 16), under CLIP's own names ("conv1", "bn1", …, "layer1".."layer3"), so a
/// ProposalNetwork's keys are "backbone.conv1.weight", "backbone.layer1.0.conv1.weight", ….
/// layer4 and the attention pool are not part of it (the RPN sees res4 only).
/// </summary>
public sealed class ClipBackbone : Module<Tensor, Tensor[]>
{
    private readonly ModifiedResNet _trunk;

    /// <param name="config">CLIP's width as <see cref="ResNetConfig.StemChannels"/> and layer1..layer3 depths; its norm: frozen (RegionCLIP) or trainable BN.</param>
    public ClipBackbone(ResNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Depths.Length != 3 || config.Depths.Any(d => d < 1))
            throw new ArgumentException($"a CLIP res4 backbone needs 3 stage depths ≥ 1 (layer1..layer3), got [{string.Join(", ", config.Depths)}]");
        int width = config.StemChannels;
        if (width < 2 || width % 2 != 0 || config.BottleneckChannels != width || config.Res2Channels != width * Bottleneck.Expansion)
            throw new ArgumentException($"a CLIP tower of width w has stem w, bottleneck w and layer1 output 4w (w even); got stem {config.StemChannels}, bottleneck {config.BottleneckChannels}, layer1 {config.Res2Channels}");
        if (config.Norm is not (NormKind.Frozen or NormKind.BatchNorm))
            throw new ArgumentException($"a CLIP backbone has batch norm (Frozen or BatchNorm), not {config.Norm}");
        Config = config;
        // CLIP's own trunk; its parts are registered here directly so the keys stay "conv1", "layer1.0.…".
        _trunk = ModifiedResNet.Res4Trunk(config.Depths, width, c => Norms.Create(config.Norm, c)!);
        foreach (var (name, part) in _trunk.named_children()) register_module(name, part);
    }

    public ResNetConfig Config { get; }

    /// <summary>Channels of res4 (layer3's output): 16 × width.</summary>
    public long OutChannels => Config.StageChannels(4);

    /// <summary>CLIP-normalised RGB [N, 3, H, W] → [res4].</summary>
    public override Tensor[] forward(Tensor x) => [_trunk.Res4(x)];

    /// <summary>True for CLIP-named backbone keys ("backbone.layer1.0.conv1.weight" without detectron2's "backbone.stem.*").</summary>
    public static bool IsClipBackbone(IReadOnlyDictionary<string, Tensor> state) =>
        state.ContainsKey("backbone.layer1.0.conv1.weight") && !state.ContainsKey("backbone.stem.conv1.weight");

    /// <summary>
    /// CLIP's tower shape from keys under <paramref name="prefix"/> ("backbone." or "visual."), as
    /// <see cref="ClipConfig.Infer"/> reads it: depths from the block indices of layer1..layer3,
    /// width from layer1.0.conv1.
    /// </summary>
    public static ResNetConfig InferConfig(IReadOnlyDictionary<string, Tensor> state, string prefix, NormKind norm, string source)
    {
        var depths = new int[3];
        for (int s = 0; s < 3; s++)
        {
            var stage = $"{prefix}layer{s + 1}.";
            depths[s] = state.Keys.Where(k => k.StartsWith(stage, StringComparison.Ordinal)).Select(k => k[stage.Length..].Split('.')[0]).Distinct().Count();
            if (depths[s] == 0) throw new InvalidDataException($"'{source}': no '{stage}*' keys: a CLIP backbone needs layer1..layer3");
        }
        var key = prefix + "layer1.0.conv1.weight";
        if (!state.TryGetValue(key, out var w) || w.ndim != 4)
            throw new InvalidDataException($"'{source}': key '{key}' is missing or not a 4-D convolution weight");
        int width = (int)w.shape[0];
        return new ResNetConfig(depths, width, width * Bottleneck.Expansion, width, norm);
    }

    /// <summary>
    /// Copies stem..layer3 of a CLIP checkpoint's visual tower ("visual.*" keys, e.g. the demo's teacher)
    /// into this backbone; the BN step counters of a trained tower are optional. Throws naming the file
    /// and the keys when the shapes do not fit.
    /// </summary>
    public void LoadFromClip(IReadOnlyDictionary<string, Tensor> clipState, string source)
    {
        var own = state_dict();
        var picked = new Dictionary<string, Tensor>();
        foreach (var (k, t) in clipState)
        {
            if (!k.StartsWith("visual.", StringComparison.Ordinal)) continue;
            var name = k["visual.".Length..];
            if (own.ContainsKey(name)) picked[name] = t;
        }
        try
        {
            load_state_dict(picked);
        }
        catch (StateDictException e)
        {
            throw new InvalidDataException($"'{source}' does not fit a CLIP res4 backbone of width {Config.StemChannels} and depths [{string.Join(", ", Config.Depths)}]: {e.Message}", e);
        }
    }
}
