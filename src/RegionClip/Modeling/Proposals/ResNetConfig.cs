using RegionClip.Modeling.Layers;
using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Shape of a detectron2 ResNet: blocks per stage (from res2), stem width, res2 output width and
/// res2 bottleneck width (both double per stage), and the norm. R50: [3, 4, 6, 3], 64, 256, 64.
/// </summary>
public sealed record ResNetConfig(int[] Depths, int StemChannels, int Res2Channels, int BottleneckChannels, NormKind Norm)
{
    /// <summary>Output channels of stage res<paramref name="stage"/> (2..5).</summary>
    public long StageChannels(int stage) => (long)Res2Channels << (stage - 2);

    /// <summary>
    /// Reads the configuration from checkpoint keys under <paramref name="prefix"/> ("backbone." or
    /// "backbone.bottom_up."): stage depths from the block indices, widths from the first block's
    /// convolutions. Shapes of the other tensors are checked when the weights are loaded.
    /// </summary>
    public static ResNetConfig Infer(IReadOnlyDictionary<string, Tensor> state, string prefix, int stages, NormKind norm, string source)
    {
        Tensor Need(string key) => state.TryGetValue(prefix + key, out var t) ? t
            : throw new InvalidDataException($"'{source}': key '{prefix + key}' is missing (not a detectron2 ResNet backbone?)");

        var depths = new int[stages];
        for (int s = 0; s < stages; s++)
        {
            var stagePrefix = $"{prefix}res{s + 2}.";
            depths[s] = state.Keys.Where(k => k.StartsWith(stagePrefix, StringComparison.Ordinal))
                .Select(k => k[stagePrefix.Length..].Split('.')[0]).Distinct().Count();
            if (depths[s] == 0) throw new InvalidDataException($"'{source}': no '{stagePrefix}*' keys: the backbone needs stages res2..res{stages + 1}");
        }
        var stem = Need("stem.conv1.weight");
        var bottleneck = Need("res2.0.conv1.weight");
        var res2 = Need("res2.0.conv3.weight");
        if (stem.ndim != 4 || bottleneck.ndim != 4 || res2.ndim != 4)
            throw new InvalidDataException($"'{source}': the stem and res2.0 convolution weights must be 4-D; got {prefix}stem.conv1.weight [{string.Join(", ", stem.shape)}], "
                + $"{prefix}res2.0.conv1.weight [{string.Join(", ", bottleneck.shape)}], {prefix}res2.0.conv3.weight [{string.Join(", ", res2.shape)}]");
        return new ResNetConfig(depths, (int)stem.shape[0], (int)res2.shape[0], (int)bottleneck.shape[0], norm);
    }
}
