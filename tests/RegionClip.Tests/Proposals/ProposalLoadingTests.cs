using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Proposals;

/// <summary>Loading offline RPN checkpoints: variant detection, shapes from keys, strict keys, clear refusals.</summary>
public sealed class ProposalLoadingTests : TorchTest
{
    [Theory]
    [InlineData(RpnKind.C4, 3, 0L, new long[] { 64 }, 15)]
    [InlineData(RpnKind.Fpn, 4, 16L, new long[] { 16 }, 3)]
    [InlineData(RpnKind.FpnLsj, 4, 16L, new long[] { 16, 16 }, 3)]
    public void TheVariantAndShapesComeFromTheKeys(RpnKind kind, int stages, long fpnChannels, long[] headConvs, int anchors)
    {
        using var network = ProposalNetwork.Load(RpnReference.FileOf(kind));
        var c = network.Config;
        Assert.Equal(kind, c.Kind);
        // gen_rpn.py: depths (1, 2, 3, 1), stem 8, res2 16, bottleneck 4.
        Assert.Equal(new[] { 1, 2, 3, 1 }.Take(stages), c.ResNet.Depths);
        Assert.Equal((8, 16, 4), (c.ResNet.StemChannels, c.ResNet.Res2Channels, c.ResNet.BottleneckChannels));
        Assert.Equal(kind == RpnKind.FpnLsj ? NormKind.BatchNorm : NormKind.Frozen, c.ResNet.Norm);
        Assert.Equal(fpnChannels, c.FpnChannels);
        Assert.Equal(headConvs, c.HeadConvDims);
        Assert.Equal(anchors, c.NumAnchors);
        Assert.Equal(kind == RpnKind.C4 ? 0 : 32, network.SizeDivisibility);
        Assert.False(network.training);
    }

    [Theory]
    [InlineData(RpnKind.C4)]
    [InlineData(RpnKind.Fpn)]
    [InlineData(RpnKind.FpnLsj)]
    public void StateDictKeysAreTheCheckpointsRpnKeysInPyTorchOrder(RpnKind kind)
    {
        var file = Checkpoint.LoadStateDict(RpnReference.FileOf(kind));
        try
        {
            using var network = ProposalNetwork.Load(RpnReference.FileOf(kind));
            var expected = file.Keys.Where(k => k.StartsWith("backbone.", StringComparison.Ordinal) || k.StartsWith("proposal_generator.", StringComparison.Ordinal));
            Assert.Equal(expected, network.state_dict().Keys);
            foreach (var (key, t) in network.state_dict())
                Assert.True(t.equal(file[key]), $"{key} was not loaded verbatim");
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    [Fact]
    public void OfficialR50ShapesBuildTheOfficialKeys()
    {
        using var c4 = new ProposalNetwork(RpnConfig.R50(RpnKind.C4));
        using var lsj = new ProposalNetwork(RpnConfig.R50(RpnKind.FpnLsj));
        var c4Keys = c4.state_dict();
        Assert.Equal([64, 3, 7, 7], c4Keys["backbone.stem.conv1.weight"].shape);
        Assert.Equal([1024, 512, 1, 1], c4Keys["backbone.res4.0.shortcut.weight"].shape);
        Assert.Equal([256, 512, 1, 1], c4Keys["backbone.res4.0.conv1.weight"].shape);   // stride in the 1×1
        Assert.Equal([1024, 1024, 3, 3], c4Keys["proposal_generator.rpn_head.conv.weight"].shape);
        Assert.Equal([60, 1024, 1, 1], c4Keys["proposal_generator.rpn_head.anchor_deltas.weight"].shape);
        Assert.DoesNotContain("backbone.res5.0.conv1.weight", c4Keys.Keys);
        var lsjKeys = lsj.state_dict();
        Assert.Contains("backbone.bottom_up.res5.2.conv3.norm.num_batches_tracked", lsjKeys.Keys);
        Assert.Contains("backbone.fpn_output5.norm.running_var", lsjKeys.Keys);
        Assert.DoesNotContain("backbone.fpn_output5.bias", lsjKeys.Keys);
        Assert.Contains("proposal_generator.rpn_head.conv.conv1.weight", lsjKeys.Keys);
        // ~25 M parameters, as rpn_lvis_866_lsj.pth (R50 + FPN + two-conv head).
        Assert.InRange(lsj.parameters().Sum(p => p.numel()), 25_000_000, 30_000_000);
    }

    [Fact]
    public void ACheckpointWithoutNumBatchesTrackedStillLoadsTheBnVariant()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("lsj_no_counters.pth");
        Rewrite(RpnReference.FileOf(RpnKind.FpnLsj), path, state =>
        {
            foreach (var key in state.Keys.Where(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList())
                Drop(state, key);
        });
        using var network = ProposalNetwork.Load(path);
        Assert.Equal(RpnKind.FpnLsj, network.Kind);
    }

    [Fact]
    public void TheOfflineRpnInsideARegionClipCheckpointLoads()
    {
        // RegionCLIP checkpoints carry the RPN as offline_backbone.* / offline_proposal_generator.*
        // beside the CLIP student's own backbone.*.
        using var dir = Paths.TempDir();
        var path = dir.File("regionclip_like.pth");
        Rewrite(RpnReference.FileOf(RpnKind.Fpn), path, state =>
        {
            foreach (var key in state.Keys.ToList())
            {
                var t = state[key];
                state.Remove(key);
                if (key.StartsWith("backbone.", StringComparison.Ordinal) || key.StartsWith("proposal_generator.", StringComparison.Ordinal))
                    state["offline_" + key] = t;
                else t.Dispose();
            }
            state["backbone.layer1.0.conv1.weight"] = torch.zeros(4, 4, 1, 1);
            state["backbone.attnpool.positional_embedding"] = torch.zeros(5, 16);
        });
        using var fromRegionClip = ProposalNetwork.Load(path);
        using var original = ProposalNetwork.Load(RpnReference.FileOf(RpnKind.Fpn));
        Assert.Equal(RpnKind.Fpn, fromRegionClip.Kind);
        foreach (var (key, t) in original.state_dict()) Assert.True(t.equal(fromRegionClip.state_dict()[key]), key);
    }

    [Fact]
    public void TheOfflineRpnOfAnOfficialLayoutCheckpointLoads()
    {
        // tools/fixtures/gen_regionclip_layout.py: PretrainFastRCNN's state_dict() with the FPN RPN fixture inside.
        using var fromRegionClip = ProposalNetwork.Load(Paths.Fixture("regionclip", "regionclip_pretrained-tiny.pth"));
        using var original = ProposalNetwork.Load(RpnReference.FileOf(RpnKind.Fpn));
        Assert.Equal(RpnKind.Fpn, fromRegionClip.Kind);
        foreach (var (key, t) in original.state_dict()) Assert.True(t.equal(fromRegionClip.state_dict()[key]), key);
    }

    [Fact]
    public void AClipCheckpointIsRefusedAsAnRpn()
    {
        var clip = Paths.Fixture("clip", "tiny_clip_fp32.pth");
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(clip));
        Assert.Contains("tiny_clip_fp32.pth", e.Message);
        Assert.Contains("CLIP checkpoint", e.Message);
        Assert.Contains("not a region proposal network", e.Message);
    }

    [Fact]
    public void AMissingKeyIsNamed()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("missing.pth");
        Rewrite(RpnReference.FileOf(RpnKind.C4), path, state => Drop(state, "backbone.res3.1.conv2.norm.running_var"));
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(path));
        Assert.Contains("missing.pth", e.Message);
        Assert.Contains("Missing key(s) (1): backbone.res3.1.conv2.norm.running_var", e.Message);
    }

    [Fact]
    public void AMissingStructuralKeyIsNamedBeforeBuilding()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("no_head.pth");
        Rewrite(RpnReference.FileOf(RpnKind.Fpn), path, state => Drop(state, "proposal_generator.rpn_head.objectness_logits.weight"));
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(path));
        Assert.Contains("'proposal_generator.rpn_head.objectness_logits.weight' is missing", e.Message);
    }

    [Fact]
    public void AWronglyShapedTensorIsNamedWithBothShapes()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("shape.pth");
        Rewrite(RpnReference.FileOf(RpnKind.Fpn), path, state =>
        {
            Drop(state, "backbone.fpn_output3.weight");
            state["backbone.fpn_output3.weight"] = torch.zeros(16, 16, 1, 1);
        });
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(path));
        Assert.Contains("backbone.fpn_output3.weight: checkpoint [16, 16, 1, 1] vs model [16, 16, 3, 3]", e.Message);
    }

    [Fact]
    public void AHeadWithTheWrongAnchorCountIsRefused()
    {
        using var dir = Paths.TempDir();
        var path = dir.File("anchors.pth");
        Rewrite(RpnReference.FileOf(RpnKind.Fpn), path, state =>
        {
            Drop(state, "proposal_generator.rpn_head.objectness_logits.weight");
            state["proposal_generator.rpn_head.objectness_logits.weight"] = torch.zeros(15, 16, 1, 1);
        });
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(path));
        Assert.Contains("predicts 15 anchors per location, but a Fpn RPN has 3", e.Message);
    }

    [Fact]
    public void AFileMixingDetectron2AndClipBackboneKeysIsRefusedNamingTheKey()
    {
        // CLIP-backbone RPNs load (tests/RegionClip.Tests/Training/Rpn/ClipBackboneRpnTests); a detectron2 ResNet with a stray CLIP key does not.
        using var dir = Paths.TempDir();
        var path = dir.File("mixed.pth");
        Rewrite(RpnReference.FileOf(RpnKind.C4), path, state => state["backbone.layer1.0.conv1.weight"] = torch.zeros(4, 4, 1, 1));
        var e = Assert.Throws<InvalidDataException>(() => ProposalNetwork.Load(path));
        Assert.Contains("backbone.layer1.0.conv1.weight", e.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ProposalNetwork.Load("/nonexistent/rpn_lvis_866.pth"));
        Assert.Contains("/nonexistent/rpn_lvis_866.pth", e.Message);
    }

    [Fact]
    public void BadImagesAndOptionsAreRefusedWithTheirShapes()
    {
        using var network = ProposalNetwork.Load(RpnReference.FileOf(RpnKind.C4));
        using var floatImage = torch.zeros(20, 30, 3);
        using var chw = torch.zeros([3, 20, 30], ScalarType.UInt8);
        using var good = torch.zeros([20, 30, 3], ScalarType.UInt8);
        var e1 = Assert.Throws<ArgumentException>(() => network.Propose(floatImage, new ProposalOptions()));
        Assert.Contains("float32[20, 30, 3]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => network.Propose(chw, new ProposalOptions()));
        Assert.Contains("uint8[3, 20, 30]", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => network.Propose(good, new ProposalOptions(PreNmsTopK: 0)));
        Assert.Contains("PreNmsTopK", e3.Message);
        Assert.Empty(network.Propose([], new ProposalOptions()));
    }

    private static void Rewrite(string source, string target, Action<OrderedDictionary<string, Tensor>> edit)
    {
        var state = Checkpoint.LoadStateDict(source);
        try
        {
            edit(state);
            Checkpoint.SaveStateDict(state, target, wrapInModel: true);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    private static void Drop(OrderedDictionary<string, Tensor> state, string key)
    {
        Assert.True(state.Remove(key, out var t), $"fixture has no key {key}");
        t!.Dispose();
    }
}
