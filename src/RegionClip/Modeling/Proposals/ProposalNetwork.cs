using RegionClip.Modeling.Layers;
using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// An offline region proposal network as RegionCLIP runs it: a detectron2 ResNet-50
/// backbone (C4, or FPN p2–p6) and an RPN, under detectron2's keys "backbone.*" and
/// "proposal_generator.*", so <see cref="Module.state_dict"/> equals the official files' RPN part.
/// <see cref="Propose(Tensor, ProposalOptions)"/> runs it in inference mode on resized RGB images.
/// </summary>
public sealed class ProposalNetwork : Module
{
    private readonly Module<Tensor, Tensor[]> _backbone;

    /// <summary>A network of the given shapes with detectron2's initialisation (weights are normally loaded).</summary>
    public ProposalNetwork(RpnConfig config, string source = "(in memory)")
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Source = source;
        long featureChannels;
        if (config.Kind == RpnKind.ClipC4)
        {
            var clip = new ClipBackbone(config.ResNet);
            featureChannels = clip.OutChannels;
            _backbone = register_module("backbone", clip);
        }
        else if (config.Kind == RpnKind.C4)
        {
            var resnet = new ResNetBackbone(config.ResNet, 4);
            featureChannels = resnet.OutChannels[0];
            _backbone = register_module("backbone", resnet);
        }
        else
        {
            var fpnNorm = config.Kind == RpnKind.FpnLsj ? NormKind.BatchNorm : NormKind.None;
            var fpn = new Fpn(new ResNetBackbone(config.ResNet, 2, 3, 4, 5), config.FpnChannels, fpnNorm);
            featureChannels = fpn.OutChannels;
            _backbone = register_module("backbone", fpn);
        }
        Rpn = register_module("proposal_generator", new Rpn(new RpnHead(featureChannels, config.HeadConvDims, config.NumAnchors), config.CreateAnchorGenerator()));
    }

    public RpnConfig Config { get; }

    /// <summary>The backbone: a padded batch [N, 3, H, W] → the RPN's feature maps (res4 for C4, p2..p6 for FPN).</summary>
    public Module<Tensor, Tensor[]> Backbone => _backbone;
    public RpnKind Kind => Config.Kind;
    public Rpn Rpn { get; }
    /// <summary>The file the weights came from.</summary>
    public string Source { get; }

    /// <summary>Inputs are padded to a multiple of this (32 for FPN, none for C4), as detectron2's backbone asks.</summary>
    public int SizeDivisibility => Kind.IsSingleLevel() ? 0 : Fpn.SizeDivisibility;

    /// <summary>Caffe BGR for the detectron2 ResNets, CLIP's normalisation for the CLIP backbone.</summary>
    public RpnPixelFormat PixelFormat => Kind == RpnKind.ClipC4 ? RpnPixelFormat.Clip : RpnPixelFormat.Caffe;

    /// <summary>
    /// Saves the network as a detectron2 checkpoint {"model": state dict} that <see cref="Load"/> and
    /// PyTorch's torch.load read. Anchors other than the variant's official ones are recorded as
    /// detectron2's "proposal_generator.anchor_generator.cell_anchors.{level}" tensors. Written atomically.
    /// </summary>
    public void Save(string path)
    {
        using var scope = torch.NewDisposeScope();
        var state = new OrderedDictionary<string, Tensor>();
        foreach (var (k, v) in state_dict()) state[k] = v;
        if (Config.CellAnchors is not null)
            for (int l = 0; l < Rpn.Anchors.Levels; l++) state[AnchorGenerator.CellAnchorsKey(l)] = Rpn.Anchors.CellAnchors(l);
        Torch.Serialization.Checkpoint.SaveStateDict(state, path, wrapInModel: true);
    }

    /// <summary>
    /// Loads rpn_coco_48.pth (C4), rpn_lvis_866.pth (FPN), rpn_lvis_866_lsj.pth (FPN-LSJ), an RPN on
    /// the CLIP backbone (clipbackbone), any detectron2 checkpoint of those shapes (e.g. one saved by
    /// <see cref="Save"/>), or the offline RPN inside a RegionCLIP checkpoint. The variant, depths,
    /// widths and recorded anchors come from the keys and shapes; loading is strict.
    /// </summary>
    /// <exception cref="InvalidDataException">Not an RPN checkpoint (e.g. a CLIP model), or keys missing, unexpected or mis-shaped — named in the message.</exception>
    public static ProposalNetwork Load(string path)
    {
        var state = RpnCheckpoint.Load(path);
        try
        {
            var config = RpnConfig.Infer(state, path);
            ProposalNetwork network;
            using (init.skip()) network = new ProposalNetwork(config, path);   // every weight comes from the file
            try
            {
                network.load_state_dict(WithoutDerivedKeys(state, config));
            }
            catch (Exception e)
            {
                network.Dispose();
                if (e is StateDictException)
                    throw new InvalidDataException($"'{path}' does not match a {config.Kind} RPN (variant and shapes read from its keys): {e.Message}", e);
                throw;
            }
            network.eval();
            return network;
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Keys the network does not hold as tensors: recorded cell anchors (read into the config) and, for
    /// the CLIP-backbone RPN, CLIP's layer4 and attention pool (res5; the RPN only sees res4).
    /// </summary>
    private static Dictionary<string, Tensor> WithoutDerivedKeys(IReadOnlyDictionary<string, Tensor> state, RpnConfig config) =>
        state.Where(kv => !kv.Key.StartsWith("proposal_generator.anchor_generator.", StringComparison.Ordinal)
                          && !(config.Kind == RpnKind.ClipC4 && (kv.Key.StartsWith("backbone.layer4.", StringComparison.Ordinal)
                                                                 || kv.Key.StartsWith("backbone.attnpool.", StringComparison.Ordinal))))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>Proposals for one resized RGB uint8 image [H, W, 3], in its pixels.</summary>
    public ProposalSet Propose(Tensor resizedRgb, ProposalOptions options) => Propose([resizedRgb], options)[0];

    /// <summary>Proposals for a prepared detection image (its <see cref="DetectionImage.Resized"/> pixels).</summary>
    public ProposalSet Propose(DetectionImage image, ProposalOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Propose(image.Resized, options);
    }

    /// <summary>
    /// Proposals for several images in one batch: zero-padded to the largest, then to
    /// <see cref="SizeDivisibility"/> (like detectron2's ImageList), each clipped to its own size.
    /// </summary>
    public IReadOnlyList<ProposalSet> Propose(IReadOnlyList<Tensor> resizedRgb, ProposalOptions options)
    {
        ArgumentNullException.ThrowIfNull(resizedRgb);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (resizedRgb.Count == 0) return [];
        using var guard = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var (batch, sizes) = RpnInput.Batch(resizedRgb, SizeDivisibility, PixelFormat);
        var features = _backbone.forward(batch);
        batch.Dispose();
        var results = Rpn.PredictProposals(features, sizes, options.PreNmsTopKFor(Kind), options);
        foreach (var r in results) r.MoveToOuterScope();
        return results;
    }
}
