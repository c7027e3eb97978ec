using RegionClip.Torch.Tests.Ops;
using RegionClip.Torch.Vision;

namespace RegionClip.Torch.Tests.Vision;

/// <summary>ops.roi_align (forward and autograd backward) against torchvision 0.14, plus hand-computed cases and errors.</summary>
public sealed class RoiAlignTests : TorchTest
{
    private const double Tol = 1e-5;

    // Case name and the options gen_vision_ops.py used for it.
    [Theory]
    [InlineData("aligned_adaptive", 3, 4, 0.5, 0, true)]
    [InlineData("aligned_minus1", 3, 4, 0.5, -1, true)]
    [InlineData("aligned_sr2", 3, 3, 1.0, 2, true)]
    [InlineData("legacy_adaptive", 2, 3, 0.25, 0, false)]
    [InlineData("legacy_sr2", 2, 3, 0.25, 2, false)]
    [InlineData("float64", 3, 2, 1.0 / 3, 0, true)]
    [InlineData("edges_aligned", 3, 3, 1.0, 0, true)]
    [InlineData("edges_legacy", 3, 3, 1.0, 0, false)]
    [InlineData("edges_sr3", 2, 4, 1.0, 3, true)]
    [InlineData("regionclip_14", 14, 14, 1.0 / 16, 0, true)]
    public void MatchesTorchvisionForwardAndGradient(string c, long h, long w, double scale, long samplingRatio, bool aligned)
    {
        using var fx = VisionFixture.Load("roi_align.pt");
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = ops.roi_align(x, fx[$"{c}.rois"], (h, w), scale, samplingRatio, aligned);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        (y * fx[$"{c}.dout"]).sum().backward();
        Expect.Close(fx[$"{c}.grad_x"], x.grad, atol: Tol);
    }

    [Fact]
    public void ListFormUsesThePositionAsBatchIndex()
    {
        using var fx = VisionFixture.Load("roi_align.pt");
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf("list_form.x");
        var boxes = new[] { fx["list_form.boxes0"], fx["list_form.boxes1"] };

        var y = ops.roi_align(x, boxes, (3, 3), 0.5, 0, aligned: true);

        Expect.Close(fx["list_form.out"], y, atol: Tol);
        (y * fx["list_form.dout"]).sum().backward();
        Expect.Close(fx["list_form.grad_x"], x.grad, atol: Tol);
    }

    [Fact]
    public void SquareOutputSizeOverloadEqualsTheTupleOne()
    {
        using var fx = VisionFixture.Load("roi_align.pt");
        using var scope = torch.NewDisposeScope();
        var y = ops.roi_align(fx["regionclip_14.x"], fx["regionclip_14.rois"], 14, 1.0 / 16, 0, aligned: true);
        Expect.Close(fx["regionclip_14.out"], y, atol: Tol);
    }

    [Fact]
    public void SumBackwardFillsInputGrad()
    {
        // On a map that is linear in x, d sum(out) / d input is the total bilinear weight per pixel: it sums to
        // K * C * bins (every bin's weights sum to 1 when all samples are inside).
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(25, ScalarType.Float32).view(1, 1, 5, 5).requires_grad_();
        var rois = torch.tensor(new float[] { 0, 1, 1, 3, 3, 0, 0.5f, 2, 4, 3.5f }, 2, 5);
        ops.roi_align(x, rois, 2, 1.0, -1, aligned: true).sum().backward();
        Assert.Equal(8.0, x.grad!.sum().item<double>(), 5);
    }

    [Fact]
    public void LinearMapGivesTheValueAtEachBinCentre()
    {
        // f(y, x) = 5y + x is reproduced exactly by bilinear interpolation, so each bin's mean is f at its centre.
        // Box (1, 1, 3, 3) aligned: starts at 0.5, bins of 1 px, one sample each at y, x = 1 or 2.
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(25, ScalarType.Float32).view(1, 1, 5, 5);
        var rois = torch.tensor(new float[] { 0, 1, 1, 3, 3 }, 1, 5);
        var y = ops.roi_align(x, rois, 2, 1.0, 0, aligned: true);
        Assert.Equal(new float[] { 6, 7, 11, 12 }, y.data<float>());
        // Legacy (not aligned): no half-pixel shift, so the same box samples at 1.5 and 2.5.
        var legacy = ops.roi_align(x, rois, 2, 1.0, 0, aligned: false);
        Assert.Equal(new float[] { 9, 10, 14, 15 }, legacy.data<float>());
    }

    [Fact]
    public void NoGraphUnlessInputRequiresGrad()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([1, 2, 6, 6]);
        var rois = torch.tensor(new float[] { 0, 0, 0, 4, 4 }, 1, 5);
        Assert.False(ops.roi_align(x, rois, 2).requires_grad);
        x.requires_grad = true;
        Assert.True(ops.roi_align(x, rois, 2).requires_grad);
        using (torch.no_grad()) Assert.False(ops.roi_align(x, rois, 2).requires_grad);
    }

    [Fact]
    public void NoBoxesGiveAnEmptyResultOfTheRightShape()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([2, 3, 6, 6]);
        var y = ops.roi_align(x, torch.zeros([0, 5]), (4, 5), 0.5, 0, true);
        Assert.Equal(new long[] { 0, 3, 4, 5 }, y.shape);
        Assert.Equal(ScalarType.Float32, y.dtype);
        var fromList = ops.roi_align(x, new[] { torch.zeros([0, 4]), torch.zeros([0, 4]) }, (4, 5));
        Assert.Equal(new long[] { 0, 3, 4, 5 }, fromList.shape);
        Assert.Equal(new long[] { 0, 3, 2, 2 }, ops.roi_align(x, Array.Empty<Tensor>(), (2, 2)).shape);
    }

    [Theory]
    [InlineData(new float[] { 0, 1, 1, 3 }, 1, 4, "rois must be [K, 5]", "[1, 4]")]
    [InlineData(new float[] { 2, 1, 1, 3, 3 }, 1, 5, "not a batch index of input (N = 2)", "rois[0, 0]")]
    [InlineData(new float[] { -1, 1, 1, 3, 3 }, 1, 5, "not a batch index", "rois[0, 0]")]
    [InlineData(new float[] { 0.5f, 1, 1, 3, 3 }, 1, 5, "not a batch index", "0.5")]
    [InlineData(new float[] { 0, 1, 1, 3, 3, 1, 1, float.NaN, 3, 3 }, 2, 5, "rois[1, 2] is nan", "finite")]
    public void BadRoisAreRefusedWithTheirShape(float[] values, long k, long cols, string expected, string alsoExpected)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([2, 3, 6, 6]);
        var ex = Assert.Throws<TorchException>(() => ops.roi_align(x, torch.tensor(values, k, cols), 2));
        Assert.Contains(expected, ex.Message);
        Assert.Contains(alsoExpected, ex.Message);
        Assert.Contains("ops.roi_align(float32[2, 3, 6, 6]", ex.Message);
    }

    [Fact]
    public void BadInputsAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        var rois = torch.tensor(new float[] { 0, 1, 1, 3, 3 }, 1, 5);
        Assert.Contains("rois must have the dtype of input (float64); got float32[1, 5]",
            Assert.Throws<TorchException>(() => ops.roi_align(torch.randn([1, 1, 4, 4], dtype: ScalarType.Float64), rois, 2)).Message);
        Assert.Contains("input must be [N, C, H, W]; got float32[1, 4, 4]",
            Assert.Throws<TorchException>(() => ops.roi_align(torch.randn([1, 4, 4]), rois, 2)).Message);
        Assert.Contains("input must be float32 or float64; got int64[1, 1, 4, 4]",
            Assert.Throws<TorchException>(() => ops.roi_align(torch.zeros([1, 1, 4, 4], ScalarType.Int64), rois.to(ScalarType.Int64), 2)).Message);
        Assert.Contains("empty feature map",
            Assert.Throws<TorchException>(() => ops.roi_align(torch.zeros([1, 1, 0, 4]), rois, 2)).Message);
        var x = torch.randn([1, 1, 4, 4]);
        Assert.Equal("output_size", Assert.Throws<ArgumentOutOfRangeException>(() => ops.roi_align(x, rois, (-1, 2))).ParamName);
        Assert.Equal("output_size", Assert.Throws<ArgumentOutOfRangeException>(() => ops.roi_align(x, rois, 0)).ParamName);
        Assert.Equal("spatial_scale", Assert.Throws<ArgumentOutOfRangeException>(() => ops.roi_align(x, rois, 2, double.NaN)).ParamName);
        var bad = Assert.Throws<ArgumentException>(() => ops.roi_align(x, new[] { torch.zeros([2, 5]) }, (2, 2)));
        Assert.Contains("boxes[0] must be [K, 4] (x1, y1, x2, y2); got float32[2, 5]", bad.Message);
        Assert.Contains("dtype of input (float32)",
            Assert.Throws<ArgumentException>(() => ops.roi_align(x, new[] { torch.zeros([1, 4], ScalarType.Float64) }, (2, 2))).Message);
    }

    [Fact]
    public void HugeBoxesAreRefusedInsteadOfHanging()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([1, 1, 4, 4]);
        var rois = torch.tensor(new float[] { 0, 0, 0, 1e12f, 4 }, 1, 5);
        Assert.Contains("2^20 samples per bin", Assert.Throws<TorchException>(() => ops.roi_align(x, rois, 2, 1.0, 0, true)).Message);
    }

    [Fact]
    public void CudaTensorsAreRefusedWithTheReason()
    {
        if (!torch.cuda.is_available()) return; // only meaningful where libtorch has CUDA
        using var scope = torch.NewDisposeScope();
        var x = torch.randn([1, 1, 4, 4]).to(Device.CUDA());
        var rois = torch.tensor(new float[] { 0, 0, 0, 2, 2 }, 1, 5).to(Device.CUDA());
        Assert.Contains("CPU only", Assert.Throws<TorchException>(() => ops.roi_align(x, rois, 2)).Message);
    }
}
