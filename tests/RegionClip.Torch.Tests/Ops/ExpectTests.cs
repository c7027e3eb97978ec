using Xunit.Sdk;

namespace RegionClip.Torch.Tests.Ops;

/// <summary>The comparison helper itself must fail on mismatches, or every parity test could pass vacuously.</summary>
public class ExpectTests : TorchTest
{
    [Fact]
    public void Close_ReportsMaxErrorAndShape()
    {
        using var scope = torch.NewDisposeScope();
        var e = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var a = torch.tensor(new float[] { 1, 2, 3.5f, 4 }, 2, 2);
        Expect.Close(e, a, atol: 0.6);
        var ex = Assert.Throws<TrueException>(() => Expect.Close(e, a, atol: 1e-5));
        Assert.Contains("max |actual - expected| = 0.5", ex.Message);
        Assert.Contains("flat index 2", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Contains($"exceeds atol {1e-5.ToString("g", System.Globalization.CultureInfo.InvariantCulture)} + rtol 0", ex.Message);
    }

    [Fact]
    public void Close_RejectsShapeDtypeNullAndNaN()
    {
        using var scope = torch.NewDisposeScope();
        var e = torch.zeros(2, 2);
        Assert.Throws<TrueException>(() => Expect.Close(e, torch.zeros(4), atol: 1));
        Assert.Throws<TrueException>(() => Expect.Close(e, torch.zeros([2, 2], ScalarType.Float64), atol: 1));
        Assert.Throws<TrueException>(() => Expect.Close(e, null, atol: 1));
        Assert.Throws<TrueException>(() => Expect.Close(e, torch.full([2, 2], double.NaN), atol: 1));
        Expect.Close(torch.full([2], double.NaN), torch.full([2], double.NaN), atol: 0);
    }

    [Fact]
    public void Close_RelativeTermScalesWithExpected()
    {
        using var scope = torch.NewDisposeScope();
        var e = torch.tensor(new double[] { 1000, 1 });
        Expect.Close(e, torch.tensor(new double[] { 1000.001, 1 }), atol: 0, rtol: 2e-6);
        Assert.Throws<TrueException>(() => Expect.Close(e, torch.tensor(new double[] { 1000, 1.001 }), atol: 0, rtol: 2e-6));
    }

    [Fact]
    public void Exact_RejectsAnyDifference()
    {
        using var scope = torch.NewDisposeScope();
        var e = torch.tensor(new long[] { 1, 2, 3 });
        Expect.Exact(e, torch.tensor(new long[] { 1, 2, 3 }));
        Assert.Throws<TrueException>(() => Expect.Exact(e, torch.tensor(new long[] { 1, 2, 4 })));
        Assert.Throws<TrueException>(() => Expect.Exact(e, torch.tensor(new[] { 1, 2, 3 })));
    }
}
