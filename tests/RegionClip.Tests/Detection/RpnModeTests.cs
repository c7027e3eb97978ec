using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;

namespace RegionClip.Tests.Detection;

using Detection = RegionClip.Modeling.Detection.Detection;

/// <summary>RPN mode: proposals of the committed R50-FPN fixture, region scores fused with objectness.</summary>
public sealed class RpnModeTests : TorchTest
{
    private readonly RegionReference _ref;

    public RpnModeTests() => _ref = new RegionReference();

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    private (IReadOnlyList<Detection> Detections, float[] Objectness) Run(DetectionOptions options)
    {
        using var model = RegionClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        using var rpn = ProposalNetwork.Load(Paths.Fixture("rpn", "rpn_fpn.pth"));
        using var pool = ConceptPool.FromEmbeddings(_ref["concepts"].clone(), _ref.Names);
        using var image = DetectionImage.Load(_ref.Cases[0].Path, _ref.Cases[0].Resize);
        var proposalOptions = ProposalOptions.ZeroShot(rpn.Kind);
        using var proposals = rpn.Propose(image, proposalOptions);
        var detector = new ZeroShotDetector(model, pool, options) { Proposer = rpn, ProposalOptions = proposalOptions };
        return (detector.Detect(image), proposals.Objectness.data<float>());
    }

    [Fact]
    public void ReferenceFusionDropsNegativeObjectnessAndCanExceedOne()
    {
        var (dets, objectness) = Run(DetectionOptions.Coco with { Fusion = ScoreFusion.Reference });
        Assert.NotEmpty(dets);
        Assert.Contains(objectness, o => o < 0);                          // the fixture has proposals to drop …
        Assert.All(dets, d => Assert.True(objectness[d.Region] >= 0, $"region {d.Region} has logit {objectness[d.Region]}"));
        // … and sqrt(p · o) with o a raw logit is not a probability.
        var max = dets.Max(d => d.Score);
        var top = dets.First(d => d.Score == max);
        Assert.Equal(MathF.Sqrt(Probability(top) * objectness[top.Region]), top.Score, 1e-4f);
    }

    [Fact]
    public void UnfusedScoresAreReportedAsProbabilities()
    {
        var (dets, _) = Run(DetectionOptions.Coco with { Fusion = ScoreFusion.Reference, ReportUnfusedScores = true });
        Assert.NotEmpty(dets);
        Assert.All(dets, d => Assert.InRange(d.Score, 0f, 1f));
    }

    [Fact]
    public void SigmoidFusionKeepsEveryProposalAndStaysBelowOne()
    {
        var (dets, objectness) = Run(DetectionOptions.Coco with { Fusion = ScoreFusion.Sigmoid, ScoreThreshold = 0, MaxDetections = 100_000 });
        Assert.Contains(dets, d => objectness[d.Region] < 0);
        Assert.All(dets, d => Assert.InRange(d.Score, 0f, 1f));
    }

    [Fact]
    public void DetectWithoutAnRpnSaysHowToGetRegions()
    {
        using var model = RegionClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        using var pool = ConceptPool.FromEmbeddings(_ref["concepts"].clone(), _ref.Names);
        using var image = DetectionImage.Load(_ref.Cases[0].Path, _ref.Cases[0].Resize);
        var e = Assert.Throws<InvalidOperationException>(() => new ZeroShotDetector(model, pool).Detect(image));
        Assert.Contains("give the regions", e.Message);
    }

    /// <summary>The class probability of a detection's region, recomputed from its embedding.</summary>
    private float Probability(Detection d)
    {
        using var model = RegionClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
        using var image = DetectionImage.Load(_ref.Cases[0].Path, _ref.Cases[0].Resize);
        using var box = Box.ToTensor([d.Box]);
        using var features = model.ExtractRegionFeatures(image, box);
        using var probs = RegionClassifier.Probabilities(features, _ref["concepts"]);
        return probs.data<float>()[d.Concept];
    }
}
