using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>linear, matmul, bmm, baddbmm and einsum against PyTorch 1.13.</summary>
public class LinearAlgebraTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("matmul")]
    [InlineData("matmul_vec")]
    [InlineData("bmm")]
    [InlineData("einsum_attn")]
    [InlineData("einsum_contract")]
    public void TwoOperandProducts(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (a, b) = (fx.Leaf($"{c}.a"), fx.Leaf($"{c}.b"));

        var y = c switch
        {
            "matmul" or "matmul_vec" => torch.matmul(a, b),
            "bmm" => torch.bmm(a, b),
            "einsum_attn" => torch.einsum("bqd,bkd->bqk", a, b),
            "einsum_contract" => torch.einsum("nchw,c->nhw", a, b),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "a", a, atol: Tol);
        fx.ExpectGrad(c, "b", b, atol: Tol);
    }

    [Fact]
    public void Linear_WithBias_On3dInput()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, w, b) = (fx.Leaf("linear.x"), fx.Leaf("linear.w"), fx.Leaf("linear.b"));

        var y = F.linear(x, w, b);

        Expect.Close(fx["linear.out"], y, atol: Tol);
        fx.Backward("linear", y);
        fx.ExpectGrad("linear", "x", x, atol: Tol);
        fx.ExpectGrad("linear", "w", w, atol: Tol);
        fx.ExpectGrad("linear", "b", b, atol: Tol);
    }

    [Fact]
    public void Baddbmm_BetaAlpha()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (input, b1, b2) = (fx.Leaf("baddbmm.input"), fx.Leaf("baddbmm.b1"), fx.Leaf("baddbmm.b2"));

        var y = torch.baddbmm(input, b1, b2, beta: 0.5, alpha: 2.0);

        Expect.Close(fx["baddbmm.out"], y, atol: Tol);
        fx.Backward("baddbmm", y);
        fx.ExpectGrad("baddbmm", "input", input, atol: Tol);
        fx.ExpectGrad("baddbmm", "b1", b1, atol: Tol);
        fx.ExpectGrad("baddbmm", "b2", b2, atol: Tol);
    }

    [Fact]
    public void Matmul_HandComputed()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = torch.tensor(new float[] { 1, 0, 0, 1, 1, 1 }, 3, 2);
        // [[1+3, 2+3], [4+6, 5+6]]
        Assert.Equal(new float[] { 4, 5, 10, 11 }, a.matmul(b).data<float>());
    }
}
