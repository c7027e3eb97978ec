namespace RegionClip.Torch.Tests.Ops;

/// <summary>clamp, exp, log, sqrt and pow against PyTorch 1.13, plus dtype promotion by hand.</summary>
public class ElementwiseTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("clamp")]
    [InlineData("clamp_min")]
    [InlineData("exp")]
    [InlineData("log")]
    [InlineData("sqrt")]
    [InlineData("pow_scalar")]
    public void Unary(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "clamp" => x.clamp(-0.5, 0.8),
            "clamp_min" => torch.clamp(x, min: 0.25),
            "exp" => torch.exp(x),
            "log" => torch.log(x),
            "sqrt" => torch.sqrt(x),
            "pow_scalar" => x.pow(2.5),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        // exp and pow reach ~10; a relative term keeps the bound at float32 precision there.
        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol, rtol: 1e-6);
    }

    [Fact]
    public void Pow_TensorExponentBroadcast()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, e) = (fx.Leaf("pow_tensor.x"), fx.Leaf("pow_tensor.e"));

        var y = x.pow(e);

        Expect.Close(fx["pow_tensor.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward("pow_tensor", y);
        fx.ExpectGrad("pow_tensor", "x", x, atol: Tol, rtol: 1e-6);
        fx.ExpectGrad("pow_tensor", "e", e, atol: Tol, rtol: 1e-6);
    }

    [Fact]
    public void ClampWithoutBounds_AndInPlace()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { -2, -0.5f, 0.5f, 2 });
        Assert.Equal(new float[] { -1, -0.5f, 0.5f, 1 }, x.clamp(-1, 1).data<float>());
        Assert.Equal(new float[] { -2, -0.5f, 0.5f, 1 }, x.clamp(max: 1).data<float>());
        var same = x.clamp_(min: 0);
        Assert.Same(x, same);
        Assert.Equal(new float[] { 0, 0, 0.5f, 2 }, x.data<float>());
    }

    [Fact]
    public void ScalarKindsFollowPyTorchPromotion()
    {
        using var scope = torch.NewDisposeScope();
        var i = torch.tensor(new long[] { 1, 2, 3 });
        var f = torch.tensor(new float[] { 1, 2, 3 });
        Assert.Equal(ScalarType.Int64, (i * 2).dtype);
        Assert.Equal(ScalarType.Float32, (i * 0.5).dtype);
        Assert.Equal(ScalarType.Float32, (i / 2).dtype);              // true division
        Assert.Equal(new float[] { 0.5f, 1, 1.5f }, (i / 2).data<float>());
        Assert.Equal(ScalarType.Float32, (f + 1).dtype);              // a Python int keeps float32
        Assert.Equal(ScalarType.Float32, (f * 2.0).dtype);            // a Python float does not widen to float64
        Assert.Equal(new long[] { 2, 1, 0 }, (3 - i).data<long>());   // rsub
        Assert.Equal(new float[] { 6, 3, 2 }, (6 / f).data<float>()); // rdiv
    }
}
