using RegionClip.Modeling.Layers;
using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// Everything needed to build a proposal network, read from a checkpoint's shapes:
/// the variant, the ResNet, the FPN width (0 for C4), the head's 3×3 conv widths and anchors per location.
/// For <see cref="RpnKind.ClipC4"/> the ResNet fields describe CLIP's tower: stem width = CLIP's width,
/// res2 = 4·width, bottleneck = width, depths = layer1..layer3.
/// </summary>
/// <param name="CellAnchors">Per level, the anchors centred on (0, 0) as A × (x1, y1, x2, y2); null: the official anchors of <paramref name="Kind"/>.</param>
public sealed record RpnConfig(RpnKind Kind, ResNetConfig ResNet, long FpnChannels, long[] HeadConvDims, int NumAnchors, float[][]? CellAnchors = null)
{
    /// <summary>The anchor generator of this network: the recorded cell anchors, else the variant's official ones.</summary>
    public AnchorGenerator CreateAnchorGenerator() => CellAnchors is null
        ? AnchorGenerator.For(Kind)
        : AnchorGenerator.FromCells(CellAnchors, AnchorGenerator.StridesOf(Kind));

    /// <summary>Channels of the feature map(s) the head sees: res4 for C4 variants, the FPN width otherwise.</summary>
    public long FeatureChannels => Kind.IsSingleLevel() ? ResNet.StageChannels(4) : FpnChannels;

    /// <summary>
    /// A network to train: the variant's backbone of the given shape, detectron2's head (one 3×3 conv as
    /// wide as its input) and anchors of the given sizes and ratios (null: the official ones).
    /// </summary>
    /// <param name="headConvDims">Widths of the head's 3×3 convs (default: one conv as wide as its input, detectron2's StandardRPNHead).</param>
    public static RpnConfig ForTraining(RpnKind kind, ResNetConfig resnet, long fpnChannels = 0, IReadOnlyList<double[]>? anchorSizes = null,
        double[]? aspectRatios = null, long[]? headConvDims = null)
    {
        ArgumentNullException.ThrowIfNull(resnet);
        if (!kind.IsSingleLevel() && fpnChannels < 1) throw new ArgumentException($"an FPN RPN needs a positive FPN width, got {fpnChannels}");
        var anchors = AnchorGenerator.For(kind, anchorSizes, aspectRatios);
        var cells = anchors.IsDefaultFor(kind) ? null : Enumerable.Range(0, anchors.Levels).Select(anchors.CellAnchorValues).ToArray();
        var config = new RpnConfig(kind, resnet, kind.IsSingleLevel() ? 0 : fpnChannels, [], anchors.NumAnchors, cells);
        if (headConvDims is { } dims && (dims.Length == 0 || dims.Any(d => d < 1)))
            throw new ArgumentException($"the head's conv widths must be positive, got [{string.Join(", ", dims)}]");
        return config with { HeadConvDims = headConvDims ?? (kind == RpnKind.FpnLsj ? [config.FeatureChannels, config.FeatureChannels] : [config.FeatureChannels]) };
    }

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
        bool clip = !fpn && ClipBackbone.IsClipBackbone(state);
        var kind = clip ? RpnKind.ClipC4 : !fpn ? RpnKind.C4 : state.ContainsKey("backbone.fpn_lateral2.norm.weight") ? RpnKind.FpnLsj : RpnKind.Fpn;
        var norm = kind == RpnKind.FpnLsj ? NormKind.BatchNorm : NormKind.Frozen;
        var resnet = clip ? ClipBackbone.InferConfig(state, "backbone.", norm, source)
            : ResNetConfig.Infer(state, fpn ? "backbone.bottom_up." : "backbone.", fpn ? 4 : 3, norm, source);

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
        var cells = RecordedCellAnchors(state, kind, source);
        var expected = cells?[0].Length / 4 ?? AnchorGenerator.For(kind).NumAnchors;
        if (numAnchors != expected)
            throw new InvalidDataException(cells is null
                ? $"'{source}': {head}objectness_logits.weight predicts {numAnchors} anchors per location, but a {kind} RPN has {expected} (anchor sizes × ratios)"
                : $"'{source}': {head}objectness_logits.weight predicts {numAnchors} anchors per location, but the file's {AnchorGenerator.CellAnchorsKey(0)} records {expected}");
        long fpnChannels = fpn ? Weight4D(state, "backbone.fpn_lateral2.weight", source).shape[0] : 0;
        return new RpnConfig(kind, resnet, fpnChannels, convDims, numAnchors, cells);
    }

    /// <summary>
    /// The cell anchors a checkpoint records ("proposal_generator.anchor_generator.cell_anchors.{level}",
    /// [A, 4] float each — old detectron2 files and this project's trained RPNs), or null when it records none.
    /// Recorded anchors equal to the official ones give null, so official files keep the official generator.
    /// </summary>
    private static float[][]? RecordedCellAnchors(IReadOnlyDictionary<string, Tensor> state, RpnKind kind, string source)
    {
        if (!state.ContainsKey(AnchorGenerator.CellAnchorsKey(0))) return null;
        var levels = AnchorGenerator.StridesOf(kind).Length;
        var cells = new float[levels][];
        for (int l = 0; l < levels; l++)
        {
            var key = AnchorGenerator.CellAnchorsKey(l);
            if (!state.TryGetValue(key, out var t))
                throw new InvalidDataException($"'{source}': key '{key}' is missing (a {kind} RPN has {levels} anchor level(s) and the file records cell anchors for level 0)");
            if (t.ndim != 2 || t.size(1) != 4 || t.size(0) < 1 || !t.is_floating_point())
                throw new InvalidDataException($"'{source}': {key} must be float [A, 4] anchors; got {t.dtype.Name()}[{string.Join(", ", t.shape)}]");
            using var scope = torch.NewDisposeScope();
            cells[l] = t.to(ScalarType.Float32).contiguous().data<float>();
        }
        var generator = AnchorGenerator.FromCells(cells, AnchorGenerator.StridesOf(kind));
        return generator.IsDefaultFor(kind) ? null : cells;
    }

    private static Tensor Weight4D(IReadOnlyDictionary<string, Tensor> state, string key, string source)
    {
        if (!state.TryGetValue(key, out var t)) throw new InvalidDataException($"'{source}': key '{key}' is missing");
        if (t.ndim != 4) throw new InvalidDataException($"'{source}': {key} must be a 4-D convolution weight; got [{string.Join(", ", t.shape)}]");
        return t;
    }
}
