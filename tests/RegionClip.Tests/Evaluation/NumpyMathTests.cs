using System.Text.Json;
using RegionClip.Evaluation;

namespace RegionClip.Tests.Evaluation;

/// <summary>The summary numbers are np.mean's; tests/fixtures/eval/numpy_mean.json holds numpy's results.</summary>
public sealed class NumpyMathTests
{
    [Fact]
    public void MeanEqualsNumpyBitForBit()
    {
        var cases = JsonDocument.Parse(File.ReadAllBytes(Paths.Fixture("eval", "numpy_mean.json"))).RootElement.GetProperty("cases");
        var values = Enumerable.Range(0, 100_000).Select(i => (double)(i * 7919L % 10007) / 10007).ToArray();
        int differsFromNaive = 0;
        foreach (var c in cases.EnumerateArray())
        {
            int n = c.GetProperty("n").GetInt32();
            double expected = c.GetProperty("mean").GetDouble();
            Assert.True(NumpyMath.MeanOrMinusOne(values.AsSpan(0, n)) == expected, $"n = {n}");
            if (c.GetProperty("naive_mean").GetDouble() != expected) differsFromNaive++;
        }
        Assert.True(differsFromNaive > 0, "the fixture should include sizes where a left-to-right sum differs");
    }

    [Fact]
    public void MeanOfNothingIsMinusOne() => Assert.Equal(-1.0, NumpyMath.MeanOrMinusOne([]));
}
