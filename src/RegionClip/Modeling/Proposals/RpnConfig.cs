using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Everything needed to build a proposal network, read from a checkpoint's shapes (SPEC §4.5):
/// the variant, the ResNet, the FPN width (0 for C4), the head's 3×3 conv widths and anchors per location.
/// </summary>
public sealed record RpnConfig(RpnKind Kind, ResNetConfig ResNet, long FpnChannels, long[] HeadConvDims, int NumAnchors)
{
    /// <summary>The official R50 shapes of each variant (rpn_coco_48, rpn_lvis_866, rpn_lvis_866_lsj).</summary>
    public static RpnConfig R50(RpnKind kind) => kind switch
    {
        RpnKind.C4 => new(kind, new ResNetConfig([3, 4, 6], 64, 256, 64, NormKind.Frozen), 0, [1024], 15),
        RpnKind.Fpn => new(kind, new ResNetConfig([3, 4, 6, 3], 64, 256, 64, NormKind.Frozen), 256, [256], 3),
        RpnKind.FpnLsj => new(kind, new ResNetConfig([3, 4, 6, 3], 64, 256, 64, NormKind.BatchNorm), 256, [256, 256], 3),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown RPN kind"),
    };

    /// <summary>
    /// Detects the variant from detectron2 keys ("backbone.*", "proposal_generator.*"): FPN by
    /// "backbone.fpn_lateral2.*", LSJ by a norm in the FPN convs; reads depths and widths from shapes.
    /// </summary>
    /// <exception cref="InvalidDataException">A key the structure needs is missing or has the wrong rank.</exception>
    public static RpnConfig Infer(IReadOnlyDictionary<string, Tensor> state, string source)
    {
        const string head = "proposal_generator.rpn_head.";
        bool fpn = state.ContainsKey("backbone.fpn_lateral2.weight");
        var kind = !fpn ? RpnKind.C4 : state.ContainsKey("backbone.fpn_lateral2.norm.weight") ? RpnKind.FpnLsj : RpnKind.Fpn;
        var norm = kind == RpnKind.FpnLsj ? NormKind.BatchNorm : NormKind.Frozen;
        var resnet = ResNetConfig.Infer(state, fpn ? "backbone.bottom_up." : "backbone.", fpn ? 4 : 3, norm, source);

        long[] convDims;
        if (state.ContainsKey(head + "conv.weight"))
            convDims = [Weight4D(state, head + "conv.weight", source).shape[0]];
        else
        {
            var stacked = new List<long>();
            for (int k = 0; state.ContainsKey($"{head}conv.conv{k}.weight"); k++)
                stacked.Add(Weight4D(state, $"{head}conv.conv{k}.weight", source).shape[0]);
            if (stacked.Count == 0) throw new InvalidDataException($"'{source}': key '{head}conv.weight' (or '{head}conv.conv0.weight') is missing");
            convDims = stacked.ToArray();
        }
        var numAnchors = (int)Weight4D(state, head + "objectness_logits.weight", source).shape[0];
        var expected = AnchorGenerator.For(kind).NumAnchors;
        if (numAnchors != expected)
            throw new InvalidDataException($"'{source}': {head}objectness_logits.weight predicts {numAnchors} anchors per location, but a {kind} RPN has {expected} (SPEC §4.5 anchor sizes × ratios)");
        long fpnChannels = fpn ? Weight4D(state, "backbone.fpn_lateral2.weight", source).shape[0] : 0;
        return new RpnConfig(kind, resnet, fpnChannels, convDims, numAnchors);
    }

    private static Tensor Weight4D(IReadOnlyDictionary<string, Tensor> state, string key, string source)
    {
        if (!state.TryGetValue(key, out var t)) throw new InvalidDataException($"'{source}': key '{key}' is missing");
        if (t.ndim != 4) throw new InvalidDataException($"'{source}': {key} must be a 4-D convolution weight; got [{string.Join(", ", t.shape)}]");
        return t;
    }
}
