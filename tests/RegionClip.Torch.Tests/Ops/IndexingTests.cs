namespace RegionClip.Torch.Tests.Ops;

/// <summary>Joining, splitting, gather/scatter, masking and Python-style indexing against PyTorch 1.13.</summary>
public class IndexingTests : TorchTest
{
    private const double Tol = 1e-5;

    [Theory]
    [InlineData("cat")]
    [InlineData("cat_last")]
    public void Cat(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (a, b) = (fx.Leaf($"{c}.a"), fx.Leaf($"{c}.b"));

        var y = torch.cat([a, b], c == "cat" ? 0 : -1);

        Expect.Close(fx[$"{c}.out"], y, atol: 0);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "a", a, atol: Tol);
        fx.ExpectGrad(c, "b", b, atol: Tol);
    }

    [Fact]
    public void Stack()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (a, b, c) = (fx.Leaf("stack.a"), fx.Leaf("stack.b"), fx.Leaf("stack.c"));

        var y = torch.stack([a, b, c], 1);

        Expect.Close(fx["stack.out"], y, atol: 0);
        fx.Backward("stack", y);
        fx.ExpectGrad("stack", "a", a, atol: Tol);
        fx.ExpectGrad("stack", "b", b, atol: Tol);
        fx.ExpectGrad("stack", "c", c, atol: Tol);
    }

    [Theory]
    [InlineData("split", 3)]
    [InlineData("split_sizes", 2)]
    [InlineData("chunk", 3)]
    public void SplitAndChunk(string c, int pieces)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var parts = c switch
        {
            "split" => x.split(3, 0),
            "split_sizes" => x.split([2, 5], 1),
            "chunk" => torch.chunk(x, 3, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Assert.Equal(pieces, parts.Length);
        for (int i = 0; i < parts.Length; i++) Expect.Close(fx[$"{c}.out{i}"], parts[i], atol: 0, what: $"{c} part {i}");
        fx.Backward(c, parts);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("index_select")]
    [InlineData("gather")]
    [InlineData("index_tensor")]
    [InlineData("index_int_tensor")]
    [InlineData("index_mask")]
    [InlineData("index_mask2d")]
    [InlineData("index_ellipsis_mask")]
    [InlineData("masked_fill")]
    [InlineData("masked_fill_bcast")]
    public void IndexedByTensor(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "index_select" => torch.index_select(x, 0, fx[$"{c}.idx"]),
            "gather" => x.gather(1, fx[$"{c}.idx"]),
            "index_tensor" => x[fx[$"{c}.idx"]],
            "index_int_tensor" => x[.., fx[$"{c}.idx"], 1],
            "index_mask" or "index_mask2d" => x[fx[$"{c}.mask"]],
            "index_ellipsis_mask" => x[fx[$"{c}.mask"], TensorIndex.Ellipsis, TensorIndex.None],
            "masked_fill" => x.masked_fill(fx[$"{c}.mask"], -1.5),
            "masked_fill_bcast" => x.masked_fill(fx[$"{c}.mask"], 2.0),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: 0);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("index_slice")]
    [InlineData("index_step")]
    [InlineData("index_newaxis")]
    public void BasicIndexingGivesViews(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var x = fx.Leaf($"{c}.x");

        var y = c switch
        {
            "index_slice" => x[.., 1..3],
            "index_step" => x[TensorIndex.Slice(1, 5, 2), .., ^2..],
            "index_newaxis" => x[TensorIndex.Ellipsis, TensorIndex.None],
            _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
        };

        Expect.Close(fx[$"{c}.out"], y, atol: 0);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
    }

    [Theory]
    [InlineData("scatter")]
    [InlineData("scatter_add")]
    public void Scatter(string c)
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (x, src) = (fx.Leaf($"{c}.x"), fx.Leaf($"{c}.src"));

        var y = c == "scatter" ? x.scatter(1, fx[$"{c}.idx"], src) : x.scatter_add(1, fx[$"{c}.idx"], src);

        Expect.Close(fx[$"{c}.out"], y, atol: Tol);
        fx.Backward(c, y);
        fx.ExpectGrad(c, "x", x, atol: Tol);
        fx.ExpectGrad(c, "src", src, atol: Tol);
    }

    [Fact]
    public void Where_BroadcastsAndRoutesGradients()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        var (a, b) = (fx.Leaf("where.a"), fx.Leaf("where.b"));

        var y = torch.where(fx["where.cond"], a, b);

        Expect.Close(fx["where.out"], y, atol: 0);
        fx.Backward("where", y);
        fx.ExpectGrad("where", "a", a, atol: Tol);
        fx.ExpectGrad("where", "b", b, atol: Tol);
    }

    [Fact]
    public void Nonzero_IntegerAndBool()
    {
        using var fx = OpFixture.Load();
        using var scope = torch.NewDisposeScope();
        Expect.Exact(fx["nonzero.out"], fx["nonzero.x"].nonzero());
        Expect.Exact(fx["nonzero_bool.out"], torch.nonzero(fx["nonzero_bool.x"]));
    }

    [Fact]
    public void IndexSetters_WriteThroughViewsAndMasks()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(3, 4);
        x[1] = torch.ones(4);                                          // basic index: copy into a view
        x.index_fill_(5, .., 3);                                       // scalar into a column
        x[x.lt(0.5)] = torch.full([], -1f);                            // boolean mask put
        Assert.Equal(new float[] { -1, -1, -1, 5, 1, 1, 1, 5, -1, -1, -1, 5 }, x.data<float>());
    }

    [Fact]
    public void RangesAndIndicesFromTheEnd_HandComputed()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(10);
        Assert.Equal(9L, x[^1].item<long>());
        Assert.Equal(8L, x[-2].item<long>());
        Assert.Equal(new long[] { 7, 8, 9 }, x[^3..].data<long>());
        Assert.Equal(new long[] { 0, 1 }, x[..^8].data<long>());
        Assert.Equal(new long[] { 2, 3, 4 }, x[2..5].data<long>());
        Assert.Equal(new long[] { 1, 4, 7 }, x[TensorIndex.Slice(1, null, 3)].data<long>());
        Assert.Equal(new long[] { 8, 9 }, x[8..20].data<long>());        // ends clamp like Python slices
        Assert.Equal(new long[] { 0 }, x[^0..].shape);                   // C#'s ^0 is the end: empty
        Assert.Equal(new long[] { 10 }, x[..^0].shape);                  // ...and as an end, the whole
        var m = torch.arange(12).view(3, 4);
        Assert.Equal(new long[] { 3, 7, 11 }, m[.., ^1].data<long>());
        Assert.Equal(new long[] { 3, 1, 4 }, m[TensorIndex.None].transpose(0, 1).shape);
    }

    [Fact]
    public void IndexPutAccumulate_AddsRepeatedIndicesUp()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(4);
        x.index_put_([torch.tensor(new long[] { 1, 1, 3 })], torch.tensor(new float[] { 1, 2, 5 }), accumulate: true);
        Assert.Equal(new float[] { 0, 3, 0, 5 }, x.data<float>());
    }

    [Fact]
    public void Indexing_ErrorsNameTheProblem()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.zeros(2, 3);
        var e1 = Assert.Throws<IndexOutOfRangeException>(() => x[2]);
        Assert.Contains("size 2", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => x[0, 0, 0]);
        Assert.Contains("[2, 3]", e2.Message);
        Assert.Throws<ArgumentException>(() => x[TensorIndex.Ellipsis, 0, TensorIndex.Ellipsis]);
    }
}
