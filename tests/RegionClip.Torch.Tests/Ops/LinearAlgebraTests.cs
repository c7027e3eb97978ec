using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>linear, matmul, bmm (and bmm_across_batch), baddbmm and einsum against PyTorch 1.13.</summary>
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

    [Fact]
    public void BmmAcrossBatch_EqualsPyTorchBmm()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        Expect.Close(fx["bmm.out"], torch.bmm_across_batch(fx["bmm.a"], fx["bmm.b"]), atol: Tol);
    }

    [Fact]
    public void BmmAcrossBatch_ManySmallProducts_EqualBmm_WithStridedOperands()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(3);
        var u = torch.randn([300, 8, 64], g);
        var tokens = torch.randn([300, 50, 64], g);
        // Shapes and strides of the folded attention pool: a transposed operand, then a contiguous one.
        var scores = torch.bmm_across_batch(u, tokens.transpose(1, 2));
        Expect.Close(torch.bmm(u, tokens.transpose(1, 2)), scores, atol: 1e-4);
        var pooled = torch.bmm_across_batch(F.softmax(scores, -1), tokens);
        Expect.Close(torch.bmm(F.softmax(scores, -1), tokens), pooled, atol: 1e-5);
        Assert.Equal(new long[] { 300, 8, 64 }, pooled.shape);
    }

    [Fact]
    public void BmmAcrossBatch_InInferenceMode_RunsOnEveryWorkerThread()
    {
        // The worker threads must take the caller's inference mode, or writing the result fails.
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(4);
        var (a, b) = (torch.randn([64, 4, 32], g), torch.randn([64, 32, 6], g));
        var expected = torch.bmm(a, b);
        using (torch.inference_mode())
        {
            var y = torch.bmm_across_batch(a, b);
            Assert.True(y.is_inference());
            Expect.Close(expected, y, atol: 1e-5);
        }
    }

    [Fact]
    public void BmmAcrossBatch_WithGradients_BackpropagatesLikeBmm()
    {
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        var a = torch.randn([4, 3, 5], g).requires_grad_();
        var b = torch.randn([4, 5, 2], g).requires_grad_();
        torch.bmm_across_batch(a, b).sum().backward();
        var (ga, gb) = (a.grad!.clone(), b.grad!.clone());
        a.grad!.zero_();
        b.grad!.zero_();
        torch.bmm(a, b).sum().backward();
        Expect.Close(a.grad!, ga, atol: 1e-6);
        Expect.Close(b.grad!, gb, atol: 1e-6);
    }

    [Fact]
    public void BmmAcrossBatch_BadShapes_NameTheShapes()
    {
        using var scope = torch.NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => torch.bmm_across_batch(torch.zeros(2, 3, 4), torch.zeros(3, 4, 5)));
        Assert.Contains("[2, 3, 4]", e.Message);
        Assert.Contains("[3, 4, 5]", e.Message);
        Assert.Throws<TorchException>(() => torch.bmm_across_batch(torch.zeros(2, 3, 4), torch.zeros([2, 4, 5], ScalarType.Float64)));
    }
}
