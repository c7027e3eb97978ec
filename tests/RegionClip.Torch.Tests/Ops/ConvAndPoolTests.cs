using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>Convolutions, batch norm and pooling against PyTorch 1.13 (tests/fixtures/torch/ops.pt).</summary>
public class ConvAndPoolTests : TorchTest
{
    private const double Tol = 1e-5;

    [Fact]
    public void Conv2d_StridePaddingDilationGroupsBias()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, w, b) = (fx.Leaf("conv2d.x"), fx.Leaf("conv2d.w"), fx.Leaf("conv2d.b"));

        var y = F.conv2d(x, w, b, stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2);

        Expect.Close(fx["conv2d.out"], y, atol: Tol);
        fx.Backward("conv2d", y);
        fx.ExpectGrad("conv2d", "x", x, atol: Tol);
        fx.ExpectGrad("conv2d", "w", w, atol: Tol);
        fx.ExpectGrad("conv2d", "b", b, atol: Tol);
    }

    [Fact]
    public void Conv2d_DefaultsWithoutBias()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, w) = (fx.Leaf("conv2d_plain.x"), fx.Leaf("conv2d_plain.w"));

        var y = F.conv2d(x, w);

        Expect.Close(fx["conv2d_plain.out"], y, atol: Tol);
        fx.Backward("conv2d_plain", y);
        fx.ExpectGrad("conv2d_plain", "x", x, atol: Tol);
        fx.ExpectGrad("conv2d_plain", "w", w, atol: Tol);
    }

    [Fact]
    public void Conv2d_Float64_ScalarStrideAndPadding()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, w, b) = (fx.Leaf("conv2d_f64.x"), fx.Leaf("conv2d_f64.w"), fx.Leaf("conv2d_f64.b"));

        var y = F.conv2d(x, w, b, stride: 1, padding: 1);

        Expect.Close(fx["conv2d_f64.out"], y, atol: 1e-12);
        fx.Backward("conv2d_f64", y);
        fx.ExpectGrad("conv2d_f64", "x", x, atol: 1e-12);
        fx.ExpectGrad("conv2d_f64", "w", w, atol: 1e-12);
        fx.ExpectGrad("conv2d_f64", "b", b, atol: 1e-12);
    }

    [Fact]
    public void ConvTranspose2d_StrideOutputPaddingGroups()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, w, b) = (fx.Leaf("conv_transpose2d.x"), fx.Leaf("conv_transpose2d.w"), fx.Leaf("conv_transpose2d.b"));

        var y = F.conv_transpose2d(x, w, b, stride: 2, padding: 1, outputPadding: 1, groups: 2);

        Expect.Close(fx["conv_transpose2d.out"], y, atol: Tol);
        fx.Backward("conv_transpose2d", y);
        fx.ExpectGrad("conv_transpose2d", "x", x, atol: Tol);
        fx.ExpectGrad("conv_transpose2d", "w", w, atol: Tol);
        fx.ExpectGrad("conv_transpose2d", "b", b, atol: Tol);
    }

    [Fact]
    public void BatchNorm_Eval_UsesRunningStatsAndLeavesThemAlone()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        const string c = "batch_norm_eval";
        var x = fx.Leaf($"{c}.x");
        var (weight, bias) = (fx.Leaf($"{c}.weight"), fx.Leaf($"{c}.bias"));
        var (mean, runVar) = (fx[$"{c}.running_mean"].clone(), fx[$"{c}.running_var"].clone());

        var y = F.batch_norm(x, mean, runVar, weight, bias, training: false, eps: 1e-5);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        Expect.Exact(fx[$"{c}.running_mean"], mean);
        Expect.Exact(fx[$"{c}.running_var"], runVar);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        fx.ExpectGrad(c, "weight", weight, atol: Tol);
        fx.ExpectGrad(c, "bias", bias, atol: Tol);
    }

    [Fact]
    public void BatchNorm_Train_UsesBatchStatsAndUpdatesRunningStats()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        const string c = "batch_norm_train";
        var x = fx.Leaf($"{c}.x");
        var (weight, bias) = (fx.Leaf($"{c}.weight"), fx.Leaf($"{c}.bias"));
        var (mean, runVar) = (fx[$"{c}.running_mean"].clone(), fx[$"{c}.running_var"].clone());

        var y = F.batch_norm(x, mean, runVar, weight, bias, training: true, momentum: 0.1, eps: 1e-5);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        Expect.Close(fx[$"{c}.running_mean_after"], mean, atol: Tol);
        Expect.Close(fx[$"{c}.running_var_after"], runVar, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        fx.ExpectGrad(c, "weight", weight, atol: Tol);
        fx.ExpectGrad(c, "bias", bias, atol: Tol);
    }

    [Theory]
    [InlineData("max_pool2d")]
    [InlineData("max_pool2d_ceil_dilated")]
    [InlineData("avg_pool2d")]
    [InlineData("avg_pool2d_ceil_nopad")]
    [InlineData("adaptive_avg_pool2d")]
    [InlineData("adaptive_max_pool2d")]
    public void Pooling(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "max_pool2d" => F.max_pool2d(x, 3, stride: 2, padding: 1),
            "max_pool2d_ceil_dilated" => F.max_pool2d(x, 2, stride: 2, padding: 1, dilation: 2, ceilMode: true),
            "avg_pool2d" => F.avg_pool2d(x, 2),
            "avg_pool2d_ceil_nopad" => F.avg_pool2d(x, 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            "adaptive_avg_pool2d" => F.adaptive_avg_pool2d(x, 3, 4),
            "adaptive_max_pool2d" => F.adaptive_max_pool2d(x, 3, 4),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Fact]
    public void AvgPool2d_CountIncludePadFalse_DiffersFromTrueAtTheBorder()
    {
        // Guards against the flag being dropped on the way to native: with padding 1 the corner
        // window covers 4 real cells of 9, so the two conventions differ by a factor 9/4 there.
        using var scope = torch.NewDisposeScope();
        var x = torch.ones(1, 1, 4, 4);
        var excl = F.avg_pool2d(x, 3, stride: 2, padding: 1, countIncludePad: false);
        var incl = F.avg_pool2d(x, 3, stride: 2, padding: 1, countIncludePad: true);
        Assert.Equal(1f, excl[0, 0, 0, 0].item<float>(), 6);
        Assert.Equal(4f / 9f, incl[0, 0, 0, 0].item<float>(), 6);
    }
}
