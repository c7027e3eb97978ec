using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>interpolate, grid_sample and pad against PyTorch 1.13.</summary>
public class ResampleTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("interp_nearest_up", InterpolationMode.Nearest, false, false)]
    [InlineData("interp_nearest_down", InterpolationMode.Nearest, false, false)]
    [InlineData("interp_bilinear", InterpolationMode.Bilinear, false, false)]
    [InlineData("interp_bilinear_ac", InterpolationMode.Bilinear, true, false)]
    [InlineData("interp_bicubic", InterpolationMode.Bicubic, false, false)]
    [InlineData("interp_bicubic_ac", InterpolationMode.Bicubic, true, false)]
    [InlineData("interp_bilinear_down", InterpolationMode.Bilinear, false, false)]
    [InlineData("interp_bilinear_aa", InterpolationMode.Bilinear, false, true)]
    [InlineData("interp_bicubic_aa", InterpolationMode.Bicubic, false, true)]
    public void Interpolate(string c, InterpolationMode mode, bool alignCorners, bool antialias)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");
        var expected = fx[$"{c}.out"];

        var y = F.interpolate(x, expected.size(2), expected.size(3), mode, alignCorners, antialias);

        Expect.Close(expected, y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Fact]
    public void Interpolate_AntialiasChangesADownscale()
    {
        // The aa and plain bilinear fixtures come from the same input; if the flag were ignored they would agree.
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var aa = F.interpolate(fx["interp_bilinear_aa.x"], 4, 5, InterpolationMode.Bilinear, antialias: true);
        var plain = fx["interp_bilinear_down.out"];
        Assert.True((aa - plain).abs().amax([0, 1, 2, 3]).item<float>() > 1e-3, "antialias=true must differ from plain bilinear when shrinking");
    }

    [Theory]
    [InlineData(InterpolationMode.Bilinear, PaddingMode.Zeros, false)]
    [InlineData(InterpolationMode.Bilinear, PaddingMode.Zeros, true)]
    [InlineData(InterpolationMode.Bilinear, PaddingMode.Border, false)]
    [InlineData(InterpolationMode.Bilinear, PaddingMode.Border, true)]
    [InlineData(InterpolationMode.Nearest, PaddingMode.Zeros, false)]
    [InlineData(InterpolationMode.Nearest, PaddingMode.Zeros, true)]
    [InlineData(InterpolationMode.Nearest, PaddingMode.Border, false)]
    [InlineData(InterpolationMode.Nearest, PaddingMode.Border, true)]
    public void GridSample(InterpolationMode mode, PaddingMode padding, bool alignCorners)
    {
        var c = $"grid_sample_{mode.ToString().ToLowerInvariant()}_{padding.ToString().ToLowerInvariant()}_{(alignCorners ? "ac" : "noac")}";
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, grid) = (fx.Leaf($"{c}.x"), fx.Leaf($"{c}.grid"));

        var y = F.grid_sample(x, grid, mode, padding, alignCorners);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        if (mode == InterpolationMode.Bilinear) fx.ExpectGrad(c, "grid", grid, atol: Tol);
    }

    [Theory]
    [InlineData("pad_constant")]
    [InlineData("pad_reflect")]
    [InlineData("pad_replicate")]
    [InlineData("pad_reflect_1d")]
    [InlineData("pad_constant_3dims")]
    public void Pad(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "pad_constant" => F.pad(x, [1, 2, 0, 1], "constant", 0.5),
            "pad_reflect" => F.pad(x, [2, 1, 1, 2], "reflect"),
            "pad_replicate" => F.pad(x, [1, 1, 2, 0], "replicate"),
            "pad_reflect_1d" => F.pad(x, [2, 3], "reflect"),
            "pad_constant_3dims" => F.pad(x, [1, 0, 0, 2, 1, 1]),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: 0);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Fact]
    public void Interpolate_RejectsFlagsThatNearestCannotHonour()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(1, 1, 4, 4);
        Assert.Throws<ArgumentException>(() => F.interpolate(x, 2, 2, InterpolationMode.Nearest, alignCorners: true));
        Assert.Throws<ArgumentException>(() => F.interpolate(x, 2, 2, InterpolationMode.Nearest, antialias: true));
    }

    [Fact]
    public void Pad_RejectsUnknownMode()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(1, 1, 2, 2);
        Assert.Throws<ArgumentException>(() => F.pad(x, [1, 1], "circular"));
    }
}
