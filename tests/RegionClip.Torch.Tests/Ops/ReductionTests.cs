namespace RegionClip.Torch.Tests.Ops;

/// <summary>Reductions with dims and keepdim, sort/topk/argmax and cumsum against PyTorch 1.13.</summary>
public class ReductionTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("sum_dims_keep")]
    [InlineData("sum_all")]
    [InlineData("mean_dim")]
    [InlineData("mean_dims")]
    [InlineData("amax_dim_keep")]
    [InlineData("amax_dims")]
    [InlineData("amin_dim")]
    [InlineData("std_dim")]
    [InlineData("std_all")]
    [InlineData("std_dims_keep")]
    [InlineData("var_biased_keep")]
    [InlineData("var_dims")]
    [InlineData("logsumexp")]
    [InlineData("logsumexp_keep")]
    [InlineData("norm_dims_keep")]
    [InlineData("norm_p1")]
    [InlineData("norm_all")]
    [InlineData("cumsum")]
    public void Reduce(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "sum_dims_keep" => x.sum([0, 2], keepdim: true),
            "sum_all" => x.sum(),
            "mean_dim" => x.mean(1),
            "mean_dims" => x.mean([0, 2]),
            "amax_dim_keep" => x.amax(2, keepdim: true),
            "amax_dims" => x.amax([0, 1]),
            "amin_dim" => x.amin(-1),
            "std_dim" => x.std(1),
            "std_all" => x.std(),
            "std_dims_keep" => x.std([0, 2], keepdim: true),
            "var_biased_keep" => x.var(2, unbiased: false, keepdim: true),
            "var_dims" => x.var([1, 2]),
            "logsumexp" => (x * 10).logsumexp(1),
            "logsumexp_keep" => x.logsumexp([0, 2], keepdim: true),
            "norm_dims_keep" => x.norm(2, [1, 2], keepdim: true),
            "norm_p1" => x.norm(1, [0]),
            "norm_all" => x.norm(),
            "cumsum" => x.cumsum(1),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        // Sums over up to 60 values of magnitude ~1 (and logsumexp of x*10, ~25): allow float32 rounding relative to the value.
        Expect.Close(fx[$"{c}.out"], y, atol: Tol, rtol: 1e-6);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol, rtol: 1e-6);
    }

    [Fact]
    public void MaxAlongDim_ValuesIndicesAndGradient()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf("max_dim.x");

        var (values, indices) = x.max(1);

        Expect.Close(fx["max_dim.out0"], values, atol: 0);
        Expect.Exact(fx["max_dim.out1"], indices);
        fx.Backward("max_dim", values, indices);
        fx.ExpectGrad("max_dim", "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("topk")]
    [InlineData("topk_smallest_dim0")]
    [InlineData("sort")]
    [InlineData("sort_dim0")]
    public void TopkAndSort(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var (values, indices) = c switch
        {
            "topk" => x.topk(3, dim: 1),
            "topk_smallest_dim0" => x.topk(2, dim: 0, largest: false),
            "sort" => x.sort(-1, descending: true),
            "sort_dim0" => x.sort(0),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out0"], values, atol: 0);
        Expect.Exact(fx[$"{c}.out1"], indices);
        fx.Backward(c, values, indices);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Fact]
    public void Argmax_DimKeepdimAndGlobal()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["argmax.out"], fx["argmax.x"].argmax(1));
        Expect.Exact(fx["argmax_keepdim.out"], fx["argmax_keepdim.x"].argmax(0, keepdim: true));
        Expect.Exact(fx["argmax_all.out"], torch.argmax(fx["argmax_all.x"]));
    }

    [Fact]
    public void Cumsum_IntegerStaysInteger()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["cumsum_int.out"], fx["cumsum_int.x"].cumsum(0));
    }

    [Fact]
    public void SmallReductions_HandComputed()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new float[] { 6, 15 }, x.sum(1).data<float>());
        Assert.Equal(new long[] { 2, 1 }, x.sum(1, keepdim: true).shape);
        Assert.Equal(new float[] { 2.5f, 3.5f, 4.5f }, x.mean(0).data<float>());
        Assert.Equal(new float[] { 3, 6 }, x.amax(1).data<float>());
        Assert.Equal(6f, x.amax([0, 1]).item<float>());
        // var of {1,2,3}: 1 (unbiased), 2/3 (biased)
        Assert.Equal(new float[] { 1, 1 }, x.var(1).data<float>());
        Assert.Equal(2.0 / 3.0, x.var(1, unbiased: false)[0].item<float>(), 6);
        Assert.Equal(new long[] { 1, 1, 1 }, x.argmax(0).data<long>());
    }
}
