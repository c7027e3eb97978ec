using RegionClip.Modeling.Proposals;

namespace RegionClip.Tests.Proposals;

/// <summary>The stateless parts on small hand-computed cases and the reference's anchors.</summary>
public sealed class ProposalPartsTests : TorchTest
{
    private readonly RpnReference _ref;

    public ProposalPartsTests() => _ref = new RpnReference();

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    [Fact]
    public void CellAnchorsHaveAreaSizeSquaredAndHeightOverWidthTheRatio()
    {
        using var cells = AnchorGenerator.For(RpnKind.C4).CellAnchors(0);
        Assert.Equal([15, 4], cells.shape);
        var v = cells.data<float>();
        // size 32, ratio 0.5: w = sqrt(1024 / 0.5) = 45.2548, h = 22.6274, centred on 0.
        Assert.Equal(new[] { -22.627417f, -11.313708f, 22.627417f, 11.313708f }, v[..4]);
        // size 512, ratio 2 (the last): w = sqrt(262144 / 2) = 362.0387, h = 724.0773.
        Assert.Equal(new[] { -181.01933f, -362.03867f, 181.01933f, 362.03867f }, v[^4..]);
    }

    [Fact]
    public void GridAnchorsEqualTheReferenceLocationMajor()
    {
        using var scope = torch.NewDisposeScope();
        var c4 = AnchorGenerator.For(RpnKind.C4).GridAnchors([(2, 3)]);
        Assert.True(c4[0].equal(_ref["anchors_c4"]));
        var fpn = AnchorGenerator.For(RpnKind.Fpn).GridAnchors([(3, 2), (2, 2), (1, 2), (1, 1), (1, 1)]);
        for (int l = 0; l < 5; l++) Assert.True(fpn[l].equal(_ref[$"anchors_fpn{l}"]), $"level {l}");
        // Location (row 1, col 2) of the stride-16 grid: centre (32, 16); its first anchor is 32 / 0.5.
        Assert.Equal(new[] { 32 - 22.627417f, 16 - 11.313708f, 32 + 22.627417f, 16 + 11.313708f }, c4[0][(1 * 3 + 2) * 15].data<float>());
    }

    [Fact]
    public void DeltasRoundTripAndScaleClampsAtLog1000Over16()
    {
        using var scope = torch.NewDisposeScope();
        var t = Box2BoxTransform.Rpn;
        var anchors = torch.tensor(new float[] { 0, 0, 10, 20, 5, 5, 45, 25 }, 2, 4);
        var targets = torch.tensor(new float[] { 2, 4, 14, 18, 0, 10, 80, 30 }, 2, 4);
        var deltas = t.GetDeltas(anchors, targets);
        // Hand values for the first pair: dx = (8 - 5) / 10, dy = (11 - 10) / 20, dw = log(12 / 10), dh = log(14 / 20).
        Assert.Equal(new[] { 0.3f, 0.05f, MathF.Log(1.2f), MathF.Log(0.7f) }, deltas[0].data<float>(), new Tolerance(1e-6f));
        Assert.True(t.ApplyDeltas(deltas, anchors).allclose(targets, 1e-6, 1e-5));
        // dw = 10 is clamped to log(62.5): a 10 px box centred at 5 grows to 625 px.
        var huge = t.ApplyDeltas(torch.tensor(new float[] { 0, 0, 10, 0 }, 1, 4), anchors[0].unsqueeze(0));
        Assert.Equal(new[] { 5 - 312.5f, 0, 5 + 312.5f, 20 }, huge.data<float>(), new Tolerance(1e-3f));
        // Weights divide the deltas (detectron2's ROI-head transform uses 10, 10, 5, 5).
        var weighted = new Box2BoxTransform(10, 10, 5, 5);
        Assert.True(weighted.ApplyDeltas(weighted.GetDeltas(anchors, targets), anchors).allclose(targets, 1e-6, 1e-5));
    }

    [Fact]
    public void SelectionDropsNonFiniteAndEmptyBoxesClipsAndSuppressesWithinLevelsOnly()
    {
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[]
        {
            10, 10, 50, 50,       // 0: level 0, best
            11, 11, 51, 51,       // 1: level 0, IoU 0.905 with 0 -> suppressed
            11, 11, 51, 51,       // 2: level 1, same box on another level -> kept
            -20, -5, 30, 200,     // 3: level 0, clipped to (0, 0, 30, 100)
            120, 10, 140, 30,     // 4: level 1, outside the 100-wide image -> empty after clipping
            float.NaN, 0, 1, 1,   // 5: non-finite -> dropped
            60, 60, 70, 60,       // 6: zero height -> dropped
        }, 7, 4);
        var logits = torch.tensor(new float[] { 5, 4, 3, 2, 9, 8, 7 });
        var levels = torch.tensor(new long[] { 0, 0, 1, 0, 1, 0, 0 });
        using var kept = ProposalSelection.SelectForImage(boxes, logits, levels, (100, 100), new ProposalOptions(0.9));
        Assert.Equal(new float[] { 5, 3, 2 }, kept.Objectness.data<float>());
        Assert.Equal(new float[] { 10, 10, 50, 50, 11, 11, 51, 51, 0, 0, 30, 100 }, kept.Boxes.data<float>());
        // A stricter threshold (IoU 0.905 > 0.95 is false) keeps box 1; PostNmsTopK cuts the tail.
        using var loose = ProposalSelection.SelectForImage(boxes, logits, levels, (100, 100), new ProposalOptions(0.95, PostNmsTopK: 2));
        Assert.Equal(new float[] { 5, 4 }, loose.Objectness.data<float>());
        // MinSize: only boxes wider and taller than it survive (box 3 is 30 wide after clipping).
        using var big = ProposalSelection.SelectForImage(boxes, logits, levels, (100, 100), new ProposalOptions(0.9, MinSize: 35));
        Assert.Equal(new float[] { 5, 3 }, big.Objectness.data<float>());
    }

    [Fact]
    public void InputIsBgrMinusTheCaffeMeanZeroPaddedToTheDivisibility()
    {
        using var scope = torch.NewDisposeScope();
        // Two pixels, R G B = (10, 20, 30) and (200, 150, 100).
        var a = torch.tensor(new byte[] { 10, 20, 30, 200, 150, 100 }, 1, 2, 3);
        var b = torch.zeros([3, 1, 3], ScalarType.UInt8);
        var (batch, sizes) = RpnInput.Batch([a, b], 32);
        Assert.Equal([2, 3, 32, 32], batch.shape);
        Assert.Equal(new[] { (1, 2), (3, 1) }, sizes);
        Assert.Equal(new[] { 30 - 103.53f, 100 - 103.53f }, batch[0, 0, 0, TensorIndex.Slice(0, 2)].data<float>());   // B
        Assert.Equal(new[] { 20 - 116.28f, 150 - 116.28f }, batch[0, 1, 0, TensorIndex.Slice(0, 2)].data<float>());   // G
        Assert.Equal(new[] { 10 - 123.675f, 200 - 123.675f }, batch[0, 2, 0, TensorIndex.Slice(0, 2)].data<float>()); // R
        Assert.Equal(0f, batch[0, .., 1..].abs().sum().item<float>());          // padding is 0 after normalisation
        Assert.Equal(0f, batch[0, .., .., 2..].abs().sum().item<float>());
        Assert.Equal(-103.53f, batch[1, 0, 2, 0].item<float>());
        var (c4, _) = RpnInput.Batch([a, b], 0);                               // C4: the largest size only
        Assert.Equal([2, 3, 3, 2], c4.shape);
    }

    [Fact]
    public void PresetsFollowTheOfficialConfigs()
    {
        Assert.Equal(new ProposalOptions(0.9, 1000, 1000), ProposalOptions.ZeroShot(RpnKind.Fpn));
        Assert.Equal(new ProposalOptions(0.5, 1000, 300), ProposalOptions.Pretraining(RpnKind.FpnLsj));
        Assert.Equal(new ProposalOptions(0.7, 6000, 1000), ProposalOptions.Transfer(RpnKind.C4));
        Assert.Equal(6000, new ProposalOptions().PreNmsTopKFor(RpnKind.C4));
        Assert.Equal(1000, new ProposalOptions().PreNmsTopKFor(RpnKind.Fpn));
    }

    private sealed class Tolerance(float eps) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(float obj) => 0;
    }
}
