using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>Activations, softmax, normalisation layers, embedding and one_hot against PyTorch 1.13.</summary>
public class ActivationAndNormTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("sigmoid")]
    [InlineData("relu")]
    [InlineData("silu")]
    [InlineData("softmax")]
    [InlineData("softmax_dim0")]
    [InlineData("log_softmax")]
    [InlineData("normalize")]
    [InlineData("normalize_p1_dim0")]
    [InlineData("layer_norm_2d_noaffine")]
    public void SingleInput(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "gelu" => F.gelu(x),
            "gelu_tanh" => F.gelu(x, approximate: "tanh"),
            "sigmoid" => torch.sigmoid(x),
            "relu" => F.relu(x),
            "silu" => F.silu(x),
            "softmax" => F.softmax(x, 1),
            "softmax_dim0" => F.softmax(x, 0),
            "log_softmax" => F.log_softmax(x, -1),
            "normalize" => F.normalize(x, p: 2, dim: 1),
            "normalize_p1_dim0" => F.normalize(x, p: 1, dim: 0),
            "layer_norm_2d_noaffine" => F.layer_norm(x, [3, 6], eps: 1e-6),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("layer_norm")]
    [InlineData("group_norm")]
    public void AffineNorm(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, weight, bias) = (fx.Leaf($"{c}.x"), fx.Leaf($"{c}.weight"), fx.Leaf($"{c}.bias"));

        var y = c == "layer_norm" ? F.layer_norm(x, [6], weight, bias, eps: 1e-5) : F.group_norm(x, 3, weight, bias, eps: 1e-5);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        fx.ExpectGrad(c, "weight", weight, atol: Tol);
        fx.ExpectGrad(c, "bias", bias, atol: Tol);
    }

    [Fact]
    public void Normalize_ZeroRowStaysFinite()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var y = F.normalize(fx["normalize.x"], dim: 1);
        Assert.True(y.isfinite().all().item<bool>(), "normalize of a zero row must stay finite (eps floor)");
        Assert.Equal(new float[6], y[2].data<float>());
    }

    [Fact]
    public void Embedding_AccumulatesGradientOfRepeatedIndices()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var weight = fx.Leaf("embedding.weight");

        var y = F.embedding(fx["embedding.idx"], weight);

        Expect.Close(fx["embedding.out"], y, atol: 0);
        fx.Backward("embedding", y);
        fx.ExpectGrad("embedding", "weight", weight, atol: Tol);
    }

    [Fact]
    public void OneHot_ExplicitAndInferredClassCount()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["one_hot.out"], F.one_hot(fx["one_hot.idx"], 6));
        Expect.Exact(fx["one_hot_infer.out"], F.one_hot(fx["one_hot_infer.idx"]));
    }

    [Fact]
    public void Gelu_RejectsUnknownApproximation()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(2);
        var e = Assert.Throws<ArgumentException>(() => F.gelu(x, approximate: "erf"));
        Assert.Contains("erf", e.Message);
    }
}
