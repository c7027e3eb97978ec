using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>Classification and regression losses against PyTorch 1.13, values and input gradients.</summary>
public class LossTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("cross_entropy")]
    [InlineData("cross_entropy_weighted")]
    [InlineData("cross_entropy_none_ignore")]
    [InlineData("cross_entropy_spatial_sum")]
    [InlineData("nll_loss")]
    [InlineData("nll_loss_none_ignore")]
    public void Classification(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");
        var target = fx[$"{c}.target"];

        var y = c switch
        {
            "cross_entropy" => F.cross_entropy(x, target),
            "cross_entropy_weighted" => F.cross_entropy(x, target, fx[$"{c}.weight"], ignoreIndex: 2, labelSmoothing: 0.1),
            "cross_entropy_none_ignore" => F.cross_entropy(x, target, reduction: Reduction.None, ignoreIndex: -1),
            "cross_entropy_spatial_sum" => F.cross_entropy(x, target, reduction: Reduction.Sum),
            "nll_loss" => F.nll_loss(x, target, fx[$"{c}.weight"]),
            "nll_loss_none_ignore" => F.nll_loss(x, target, reduction: Reduction.None, ignoreIndex: 4),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("kl_div_batchmean", true)]
    [InlineData("kl_div_log_target_sum", true)]
    [InlineData("kl_div_mean", false)]
    public void KlDiv(string c, bool targetGrad)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");
        var target = targetGrad ? fx.Leaf($"{c}.target") : fx[$"{c}.target"];

        var y = c switch
        {
            "kl_div_batchmean" => F.kl_div(x, target, Reduction.BatchMean),
            "kl_div_log_target_sum" => F.kl_div(x, target, Reduction.Sum, logTarget: true),
            "kl_div_mean" => F.kl_div(x, target),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        if (targetGrad) fx.ExpectGrad(c, "target", target, atol: Tol);
    }

    [Theory]
    [InlineData("bce_logits")]
    [InlineData("bce_logits_weighted")]
    [InlineData("bce_logits_none")]
    public void BinaryCrossEntropyWithLogits(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");
        var target = fx[$"{c}.target"];

        var y = c switch
        {
            "bce_logits" => F.binary_cross_entropy_with_logits(x, target),
            "bce_logits_weighted" => F.binary_cross_entropy_with_logits(x, target, fx[$"{c}.weight"], fx[$"{c}.pos_weight"]),
            "bce_logits_none" => F.binary_cross_entropy_with_logits(x, target, posWeight: fx[$"{c}.pos_weight"], reduction: Reduction.None),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("smooth_l1")]
    [InlineData("smooth_l1_beta0_sum")]
    [InlineData("smooth_l1_beta_half_none")]
    [InlineData("l1_loss")]
    [InlineData("mse_loss")]
    [InlineData("mse_loss_sum")]
    public void Regression(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");
        var targetGrad = fx.Has($"{c}.grad_target");
        var target = targetGrad ? fx.Leaf($"{c}.target") : fx[$"{c}.target"];

        var y = c switch
        {
            "smooth_l1" => F.smooth_l1_loss(x, target, beta: 1.0),
            "smooth_l1_beta0_sum" => F.smooth_l1_loss(x, target, Reduction.Sum, beta: 0.0),
            "smooth_l1_beta_half_none" => F.smooth_l1_loss(x, target, Reduction.None, beta: 0.5),
            "l1_loss" => F.l1_loss(x, target),
            "mse_loss" => F.mse_loss(x, target),
            "mse_loss_sum" => F.mse_loss(x, target, Reduction.Sum),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        if (targetGrad) fx.ExpectGrad(c, "target", target, atol: Tol);
    }

    [Fact]
    public void SmoothL1_BetaZeroEqualsL1_AndSmallCaseByHand()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 0.0f, 0.25f, 2.0f });
        var t = torch.zeros(3);
        // beta 1: 0.5 d^2 below 1, d - 0.5 above: {0, 0.03125, 1.5}
        Assert.Equal(new float[] { 0, 0.03125f, 1.5f }, F.smooth_l1_loss(x, t, Reduction.None, beta: 1.0).data<float>());
        Assert.Equal(new float[] { 0, 0.25f, 2 }, F.smooth_l1_loss(x, t, Reduction.None, beta: 0.0).data<float>());
    }

    [Fact]
    public void CrossEntropy_TargetOutOfRange_IsATorchException()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.zeros(2, 3);
        var target = torch.tensor(new long[] { 0, 7 });
        var e = Assert.Throws<TorchException>(() => F.cross_entropy(logits, target));
        Assert.Equal("F.cross_entropy", e.Operation);
        Assert.Contains("float32[2, 3]", e.Message);
        Assert.Contains("int64[2]", e.Message);
    }
}
