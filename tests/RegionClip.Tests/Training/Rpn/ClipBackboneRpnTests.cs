using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;
using RegionClip.Tests.Proposals;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>
/// The CLIP-backbone RPN ("clipbackbone"): a seeded random-weight file with CLIP's key names (layer4
/// and an attnpool key included, as the official file holds them) loads, and proposes like the PyTorch
/// reference. Single-threaded, like the generator.
/// </summary>
public sealed class ClipBackboneRpnTests : TorchTest
{
    private const double Tol = 1e-4;
    private readonly RpnTrainingReference _ref;
    private readonly RpnReference _images;
    private readonly int _threads = torch.get_num_threads();

    public ClipBackboneRpnTests()
    {
        _ref = new RpnTrainingReference();
        _images = new RpnReference();
        torch.set_num_threads(1);
    }

    public override void Dispose()
    {
        torch.set_num_threads(_threads);
        _images.Dispose();
        _ref.Dispose();
        base.Dispose();
    }

    [Fact]
    public void TheFileLoadsAsAClipBackboneRpnWithItsShapes()
    {
        using var network = ProposalNetwork.Load(RpnTrainingReference.ClipRpnPath);
        Assert.Equal(RpnKind.ClipC4, network.Kind);
        Assert.Equal([1, 2, 1], network.Config.ResNet.Depths);
        Assert.Equal(4, network.Config.ResNet.StemChannels);
        Assert.Equal(15, network.Config.NumAnchors);
        Assert.Null(network.Config.CellAnchors);
        Assert.Equal(RpnPixelFormat.Clip, network.PixelFormat);
        Assert.Equal(0, network.SizeDivisibility);
        var keys = network.state_dict().Keys.ToList();
        Assert.Contains("backbone.conv1.weight", keys);
        Assert.Contains("backbone.layer3.0.downsample.0.weight", keys);
        Assert.Contains("proposal_generator.rpn_head.conv.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("backbone.layer4.", StringComparison.Ordinal) || k.StartsWith("backbone.attnpool.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("single")]
    [InlineData("batch")]
    public void ProposalsMatchTheReference(string key)
    {
        var c = _ref.Meta.RootElement.GetProperty("clip").EnumerateArray().Single(x => x.GetProperty("key").GetString() == key);
        var which = c.GetProperty("images").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var pre = c.GetProperty("pre_nms_topk");
        var options = new ProposalOptions(c.GetProperty("nms").GetDouble(), pre.ValueKind == System.Text.Json.JsonValueKind.Null ? null : pre.GetInt32(),
            c.GetProperty("post_nms_topk").GetInt32());
        using var network = ProposalNetwork.Load(RpnTrainingReference.ClipRpnPath);
        var images = which.Select(_images.Image).ToList();
        var results = network.Propose(images, options);
        try
        {
            var extent = images.Max(im => Math.Max(im.size(0), im.size(1)));
            for (int i = 0; i < results.Count; i++)
                ProposalParityTests.AssertSameProposals(_ref[$"clip_{key}_boxes{i}"], _ref[$"clip_{key}_logits{i}"], results[i], Tol * extent, $"clip {key} image {i}");
        }
        finally
        {
            foreach (var r in results) r.Dispose();
        }
    }

    [Fact]
    public void ItsSavedFormLoadsBackWithOnlyTheRpnKeys()
    {
        using var dir = Paths.TempDir();
        using var network = ProposalNetwork.Load(RpnTrainingReference.ClipRpnPath);
        network.Save(dir.File("again.pth"));
        var saved = Checkpoint.LoadStateDict(dir.File("again.pth"));
        try
        {
            Assert.Equal(network.state_dict().Keys, saved.Keys);
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
        using var again = ProposalNetwork.Load(dir.File("again.pth"));
        Assert.Equal(RpnKind.ClipC4, again.Kind);
    }

    [Fact]
    public void ABackboneStartsFromACheckpointsVisualTowerAndRefusesAMisfit()
    {
        using var scope = torch.NewDisposeScope();
        var config = RpnConfig.ForTraining(RpnKind.ClipC4, new ResNetConfig([1, 2, 1], 4, 16, 4, NormKind.BatchNorm));
        using var network = new ProposalNetwork(config);
        using var source = ProposalNetwork.Load(RpnTrainingReference.ClipRpnPath);
        // The loaded file's backbone, renamed to a CLIP checkpoint's "visual.*" keys.
        var clip = source.Backbone.state_dict().ToDictionary(kv => "visual." + kv.Key, kv => kv.Value);
        ((ClipBackbone)network.Backbone).LoadFromClip(clip, "teacher.pth");
        foreach (var (k, t) in source.Backbone.state_dict())
            Assert.True(t.equal(network.Backbone.state_dict()[k]), k);
        using var wider = new ProposalNetwork(RpnConfig.ForTraining(RpnKind.ClipC4, new ResNetConfig([1, 2, 1], 8, 32, 8, NormKind.BatchNorm)));
        var e = Assert.Throws<InvalidDataException>(() => ((ClipBackbone)wider.Backbone).LoadFromClip(clip, "teacher.pth"));
        Assert.Contains("teacher.pth", e.Message);
        Assert.Contains("conv1.weight", e.Message);
    }
}
