using RegionClip.Torch.Tests.Ops;
using RegionClip.Torch.Vision;

namespace RegionClip.Torch.Tests.Vision;

/// <summary>
/// ops.batched_soft_nms against the generator's Python reference (detectron2's
/// batched_soft_nms, gaussian), plus hand-computed cases and errors.
/// </summary>
public sealed class SoftNmsTests : TorchTest
{
    // Case name and the (sigma, prune threshold) gen_vision_ops.py used for it.
    [Theory]
    [InlineData("soft_f32", 0.5, 0.001)]
    [InlineData("soft_one_class", 0.5, 0.001)]
    [InlineData("soft_f64", 0.3, 0.01)]
    [InlineData("soft_low_scores", 0.5, 0.001)]
    [InlineData("soft_all_below", 0.5, 0.001)]
    public void MatchesTheReference(string c, double sigma, double prune)
    {
        using var fx = VisionFixture.Load("soft_nms.pt");
        using var scope = torch.NewDisposeScope();

        var (keep, scores) = ops.batched_soft_nms(fx[$"{c}.boxes"], fx[$"{c}.scores"], fx[$"{c}.idxs"], sigma, prune);

        Expect.Exact(fx[$"{c}.keep"], keep);
        Expect.Close(fx[$"{c}.kept_scores"], scores, atol: 1e-6, rtol: 1e-5);
    }

    [Fact]
    public void DecaysOverlapsByGaussianOfIoU()
    {
        using var scope = torch.NewDisposeScope();
        // Box 1 overlaps box 0 with IoU 50/150 = 1/3; box 2 is disjoint; box 3 is in another category.
        var boxes = torch.tensor(new double[] { 0, 0, 10, 10, 5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10 }, 4, 4);
        var scores = torch.tensor(new double[] { 0.9, 0.8, 0.3, 0.6 });
        var idxs = torch.tensor(new long[] { 0, 0, 0, 1 });
        var (keep, kept) = ops.batched_soft_nms(boxes, scores, idxs, 0.5, 0.001);
        double decayed = 0.8 * Math.Exp(-(1.0 / 9) / 0.5);
        Assert.Equal(new long[] { 0, 1, 3, 2 }, keep.data<long>());
        var k = kept.data<double>();
        Assert.Equal(new[] { 0.9, decayed, 0.6, 0.3 }.Length, k.Length);
        Assert.Equal(0.9, k[0], 12);
        Assert.Equal(decayed, k[1], 12);
        Assert.Equal(0.6, k[2], 12);
        Assert.Equal(0.3, k[3], 12);
    }

    [Fact]
    public void NoBoxesGiveEmptyResults()
    {
        using var scope = torch.NewDisposeScope();
        var (keep, scores) = ops.batched_soft_nms(torch.zeros([0, 4]), torch.zeros([0]), torch.zeros([0], ScalarType.Int64));
        Assert.Equal(new long[] { 0 }, keep.shape);
        Assert.Equal(ScalarType.Int64, keep.dtype);
        Assert.Equal(new long[] { 0 }, scores.shape);
        Assert.Equal(ScalarType.Float32, scores.dtype);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        var boxes = torch.zeros([2, 4]);
        var idxs = torch.zeros([2], ScalarType.Int64);
        Assert.Contains("scores[1] is nan; scores must be finite",
            Assert.Throws<TorchException>(() => ops.batched_soft_nms(boxes, torch.tensor(new float[] { 0.5f, float.NaN }), idxs)).Message);
        Assert.Contains("scores must be [K] with K = 2",
            Assert.Throws<TorchException>(() => ops.batched_soft_nms(boxes, torch.zeros([3]), idxs)).Message);
        Assert.Equal("sigma", Assert.Throws<ArgumentOutOfRangeException>(() => ops.batched_soft_nms(boxes, torch.zeros([2]), idxs, sigma: 0)).ParamName);
        Assert.Equal("score_threshold",
            Assert.Throws<ArgumentOutOfRangeException>(() => ops.batched_soft_nms(boxes, torch.zeros([2]), idxs, score_threshold: double.NaN)).ParamName);
    }
}
