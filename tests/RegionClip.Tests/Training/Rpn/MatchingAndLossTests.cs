using RegionClip.Common;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>Anchor matching, sampling and the two losses against tools/fixtures/rpn_training_reference.py.</summary>
public sealed class MatchingAndLossTests : TorchTest
{
    private readonly RpnTrainingReference _ref;

    public MatchingAndLossTests() => _ref = new RpnTrainingReference();

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    [Theory]
    [InlineData("several")]
    [InlineData("none")]
    [InlineData("tiny_and_tied")]
    public void IouAndMatchingEqualDetectron2Rules(string name)
    {
        using var scope = torch.NewDisposeScope();
        var iou = BoxIou.Pairwise(_ref[$"{name}_gt"], _ref["anchors"]);
        Assert.True(iou.allclose(_ref[$"{name}_iou"], rtol: 0, atol: 1e-7), $"{name}: IoU differs");
        var (matches, labels) = new AnchorMatcher().Match(iou);
        Assert.True(labels.equal(_ref[$"{name}_labels"]), $"{name}: labels differ");
        Assert.True(matches.equal(_ref[$"{name}_matches"]), $"{name}: matched boxes differ");
    }

    [Fact]
    public void ALowQualityMatchAndTiedBestAnchorsArePositive()
    {
        using var scope = torch.NewDisposeScope();
        var gt = _ref["tiny_and_tied_gt"];
        var iou = BoxIou.Pairwise(gt, _ref["anchors"]);
        var (_, labels) = new AnchorMatcher().Match(iou);
        var (_, strict) = new AnchorMatcher(allowLowQualityMatches: false).Match(iou);
        // Without low-quality matches no anchor reaches 0.7 for these boxes; with them each box's best anchors are positive.
        Assert.Equal(0, strict.eq(1).sum().item<long>());
        var best = iou.max(1).values;
        var tied = iou[1].eq(best[1]).sum().item<long>();
        Assert.True(tied > 1);
        Assert.Equal(iou[0].eq(best[0]).sum().item<long>() + tied, labels.eq(1).sum().item<long>());
    }

    [Theory]
    [InlineData("several", 256, 0.5)]
    [InlineData("none", 256, 0.5)]
    [InlineData("tiny_and_tied", 256, 0.5)]
    [InlineData("several", 16, 0.25)]
    [InlineData("tiny_and_tied", 16, 0.25)]
    public void SamplingKeepsTheReferenceCountsOfPositivesAndNegatives(string name, int batch, double fraction)
    {
        using var scope = torch.NewDisposeScope();
        var labels = _ref[$"{name}_labels"];
        var expected = _ref.Meta.RootElement.GetProperty("matching").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name)
            .GetProperty("sampled").GetProperty($"{batch}_{fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        for (ulong seed = 0; seed < 5; seed++)
        {
            var sampled = new AnchorSampler(batch, fraction).Sample(labels, Prng.ForStream(seed, "test", 0));
            Assert.Equal(expected[0], sampled.eq(1).sum().item<long>());
            Assert.Equal(expected[1], sampled.eq(0).sum().item<long>());
            // Only anchors of the right kind are kept, with their own label.
            Assert.True(labels.index(sampled.ge(0)).equal(sampled.index(sampled.ge(0))));
        }
    }

    [Fact]
    public void SamplingIsSeededAndUniform()
    {
        using var scope = torch.NewDisposeScope();
        // 40 negatives, 10 of them sampled per draw: over 4,000 draws each is kept ≈ 1,000 times.
        var labels = torch.zeros([40], ScalarType.Int64);
        var sampler = new AnchorSampler(10, 0.5);
        var counts = new long[40];
        for (int d = 0; d < 4000; d++)
        {
            var s = sampler.Sample(labels, Prng.ForStream(7, "uniform", d)).data<long>();
            for (int i = 0; i < 40; i++) if (s[i] == 0) counts[i]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 880, 1120));   // ±4.4 σ of a binomial(4000, 0.25)
        var a = sampler.Sample(labels, Prng.ForStream(7, "uniform", 0));
        var b = sampler.Sample(labels, Prng.ForStream(7, "uniform", 0));
        Assert.True(a.equal(b));
    }

    [Fact]
    public void LossesAndTheirGradientsEqualTheReference()
    {
        using var scope = torch.NewDisposeScope();
        var logits = _ref["loss_logits"].clone().requires_grad_();
        var deltas = _ref["loss_deltas"].clone().requires_grad_();
        using var targets = new RpnTargets(_ref["loss_labels"].clone(), _ref["loss_matched"].clone());
        using var losses = RpnLosses.Compute(logits, deltas, _ref["anchors"], targets, 256);
        Assert.Equal(_ref["loss_objectness"].item<float>(), losses.Objectness.item<float>(), 1e-6f);
        Assert.Equal(_ref["loss_box"].item<float>(), losses.Box.item<float>(), 1e-6f);
        losses.Total.backward();
        Assert.True(logits.grad!.allclose(_ref["loss_logits_grad"], rtol: 1e-5, atol: 1e-8), "objectness gradient differs");
        Assert.True(deltas.grad!.allclose(_ref["loss_deltas_grad"], rtol: 1e-5, atol: 1e-8), "box gradient differs");
    }

    [Fact]
    public void TargetsOfABatchStackEachImagesMatchedBoxes()
    {
        using var scope = torch.NewDisposeScope();
        var anchors = _ref["anchors"];
        using var targets = RpnTargets.Compute(anchors, [_ref["several_gt"], _ref["none_gt"]], new AnchorMatcher(), sampler: null);
        Assert.Equal([2L, 315], targets.Labels.shape);
        Assert.True(targets.Labels[0].equal(_ref["several_labels"]));
        Assert.True(targets.Labels[1].eq(0).all().item<bool>(), "an image without boxes is all background");
        Assert.True(targets.MatchedBoxes[0].equal(_ref["several_gt"].index_select(0, _ref["several_matches"])));
        Assert.True(targets.MatchedBoxes[1].eq(0).all().item<bool>());
    }
}
