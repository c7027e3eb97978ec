using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class AxisScaleTests
{
    [Theory]
    [InlineData(0.13, 0.97, 0, 1, 0.2)]
    [InlineData(1.2, 4.3, 1, 4.5, 0.5)]
    [InlineData(0, 5000, 0, 5000, 1000)]
    [InlineData(-3.7, 12.1, -5, 15, 5)]
    [InlineData(0.00123, 0.00456, 0.001, 0.005, 0.0005)]
    public void WidensToNiceTicks(double min, double max, double axisMin, double axisMax, double step)
    {
        var axis = new AxisScale(min, max);
        Assert.Equal(axisMin, axis.Min, 12);
        Assert.Equal(axisMax, axis.Max, 12);
        Assert.Equal(step, axis.Step, 12);
        Assert.Equal(axis.Min, axis.Ticks().First());
        Assert.Equal(axis.Max, axis.Ticks().Last(), 12);
    }

    [Theory]
    [InlineData(0.00123, 0.00456, 0.003, "0.0030")]
    [InlineData(0, 5000, 2000, "2000")]
    [InlineData(0.13, 0.97, 0.6000000000000001, "0.6")]
    [InlineData(0, 3e8, 1e8, "1E+8")]
    public void FormatsTicksWithTheDecimalsTheStepNeeds(double min, double max, double value, string text) =>
        Assert.Equal(text, new AxisScale(min, max).Format(value));

    [Theory]
    [InlineData(1e-320, 3e-320)]
    [InlineData(-1e308, 1e308)]
    [InlineData(double.NaN, 1)]
    [InlineData(5, 5)]
    [InlineData(0, 0)]
    public void ExtremeRangesGiveAFewTicksNotAHang(double min, double max)
    {
        var axis = new AxisScale(min, max);
        int count = axis.Ticks().Take(2000).Count();
        Assert.InRange(count, 2, 1001);
        Assert.True(axis.Max > axis.Min);
    }
}
