using System.Globalization;
using RegionClip.Torch.Tests.Ops;
using RegionClip.Torch.Vision;

namespace RegionClip.Torch.Tests.Vision;

/// <summary>ops.nms and ops.batched_nms against torchvision 0.14 on random boxes with distinct scores, plus errors.</summary>
public sealed class NmsTests : TorchTest
{
    [Theory]
    [InlineData("f32", 0.3)]
    [InlineData("f32", 0.5)]
    [InlineData("f32", 0.7)]
    [InlineData("f64", 0.3)]
    [InlineData("f64", 0.5)]
    [InlineData("f64", 0.7)]
    public void MatchesTorchvision(string c, double threshold)
    {
        using var fx = VisionFixture.Load("nms.pt");
        using var scope = torch.NewDisposeScope();
        var t = threshold.ToString(CultureInfo.InvariantCulture);
        var (boxes, scores) = (fx[$"{c}.boxes"], fx[$"{c}.scores"]);

        Expect.Exact(fx[$"{c}.keep_{t}"], ops.nms(boxes, scores, threshold));
        Expect.Exact(fx[$"{c}.batched_keep_{t}"], ops.batched_nms(boxes, scores, fx[$"{c}.idxs"], threshold));
    }

    [Fact]
    public void NaNScoresRankFirstAndNaNBoxesNeverOverlap()
    {
        // torchvision's behaviour, which this kernel defines as its own: torch.sort puts NaN first.
        using var fx = VisionFixture.Load("nms.pt");
        using var scope = torch.NewDisposeScope();
        var keep = ops.nms(fx["nan.boxes"], fx["nan.scores"], 0.5);
        Expect.Exact(fx["nan.keep_0.5"], keep);
        Assert.Equal(7, keep.data<long>()[0]);
        Assert.Contains(11L, keep.data<long>());
    }

    [Fact]
    public void CategoriesNeverSuppressEachOther()
    {
        using var scope = torch.NewDisposeScope();
        // Two identical boxes: one survives alone, both survive in different categories; order by score.
        var boxes = torch.tensor(new float[] { 0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 10, 10 }, 3, 4);
        var scores = torch.tensor(new float[] { 0.5f, 0.9f, 0.7f });
        Assert.Equal(new long[] { 1 }, ops.nms(boxes, scores, 0.5).data<long>());
        Assert.Equal(new long[] { 1, 2, 0 }, ops.batched_nms(boxes, scores, torch.tensor(new long[] { 0, 1, 0 }), 0.9).data<long>());
        Assert.Equal(new long[] { 1, 0 }, ops.batched_nms(boxes, scores, torch.tensor(new int[] { 7, 3, 3 }), 0.5).data<long>());
    }

    [Fact]
    public void EqualScoresKeepIndexOrder()
    {
        using var scope = torch.NewDisposeScope();
        var boxes = torch.tensor(new float[] { 0, 0, 1, 1, 5, 5, 6, 6, 10, 10, 11, 11 }, 3, 4);
        var keep = ops.nms(boxes, torch.full([3], 0.5), 0.5);
        Assert.Equal(new long[] { 0, 1, 2 }, keep.data<long>());
    }

    [Fact]
    public void NoBoxesGiveAnEmptyInt64Result()
    {
        using var scope = torch.NewDisposeScope();
        var keep = ops.nms(torch.zeros([0, 4]), torch.zeros([0]), 0.5);
        Assert.Equal(new long[] { 0 }, keep.shape);
        Assert.Equal(ScalarType.Int64, keep.dtype);
        var batched = ops.batched_nms(torch.zeros([0, 4]), torch.zeros([0]), torch.zeros([0], ScalarType.Int64), 0.5);
        Assert.Equal(new long[] { 0 }, batched.shape);
        Assert.Equal(ScalarType.Int64, batched.dtype);
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheirShapes()
    {
        using var scope = torch.NewDisposeScope();
        var boxes = torch.zeros([3, 4]);
        var scores = torch.zeros([3]);
        Assert.Contains("boxes must be [K, 4] (x1, y1, x2, y2); got float32[3, 5]",
            Assert.Throws<TorchException>(() => ops.nms(torch.zeros([3, 5]), scores, 0.5)).Message);
        Assert.Contains("scores must be [K] with K = 3 (one per box); got float32[2]",
            Assert.Throws<TorchException>(() => ops.nms(boxes, torch.zeros([2]), 0.5)).Message);
        Assert.Contains("scores must have the dtype of boxes (float32); got float64[3]",
            Assert.Throws<TorchException>(() => ops.nms(boxes, torch.zeros([3], ScalarType.Float64), 0.5)).Message);
        Assert.Contains("boxes must be float32 or float64; got int64[3, 4]",
            Assert.Throws<TorchException>(() => ops.nms(torch.zeros([3, 4], ScalarType.Int64), scores, 0.5)).Message);
        Assert.Contains("idxs must be [K] with K = 3 (one category per box); got int64[4]",
            Assert.Throws<TorchException>(() => ops.batched_nms(boxes, scores, torch.zeros([4], ScalarType.Int64), 0.5)).Message);
        Assert.Contains("idxs must hold integer category ids; got float32[3]",
            Assert.Throws<TorchException>(() => ops.batched_nms(boxes, scores, torch.zeros([3]), 0.5)).Message);
        Assert.Equal("iou_threshold", Assert.Throws<ArgumentOutOfRangeException>(() => ops.nms(boxes, scores, double.NaN)).ParamName);
    }
}
