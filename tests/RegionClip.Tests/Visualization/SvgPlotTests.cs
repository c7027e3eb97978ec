using System.Globalization;
using System.Text.RegularExpressions;
using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class SvgPlotTests
{
    private static IReadOnlyList<(double X, double Y)> Points(params double[] ys) => ys.Select((y, i) => ((double)i, y)).ToList();

    private static List<(double X, double Y)> PathPoints(string d) =>
        Regex.Matches(d, @"[ML](-?[\d.]+) (-?[\d.]+)")
            .Select(m => (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();

    [Fact]
    public void DrawsEverySeriesInsideTheAxesWithALegend()
    {
        var markup = SvgPlot.Lines("Loss", "iteration", "loss",
            [("train", Points(4.1, 3.2, 2.5, 1.9, 1.2)), ("val", Points(4.3, 3.9, 3.1, 2.8, 2.7))]);
        var doc = SvgDom.Parse(markup);
        Assert.Equal("640", doc.DocumentElement!.GetAttribute("width"));
        var paths = SvgDom.Select(doc, "//s:g[@class='series']/s:path");
        Assert.Equal(2, paths.Count);
        Assert.Equal(Palette.Color(0), paths[0].GetAttribute("stroke"));
        Assert.Equal(Palette.Color(1), paths[1].GetAttribute("stroke"));

        // The plot frame is the rect with the axis colour; every vertex must lie within it.
        var frame = SvgDom.Select(doc, "/s:svg/s:rect[@fill='none']").Single();
        double x0 = SvgDom.Num(frame, "x"), y0 = SvgDom.Num(frame, "y");
        double x1 = x0 + SvgDom.Num(frame, "width"), y1 = y0 + SvgDom.Num(frame, "height");
        foreach (var path in paths)
        {
            var vertices = PathPoints(path.GetAttribute("d"));
            Assert.Equal(5, vertices.Count);
            Assert.All(vertices, v => { Assert.InRange(v.X, x0, x1); Assert.InRange(v.Y, y0, y1); });
        }
        // First train point (x = 0, y = 4.1) on the axes x 0..4 (step 1) and y 1.0..4.5 (step 0.5): left edge, (4.1 - 1) / 3.5 up.
        var first = PathPoints(paths[0].GetAttribute("d"))[0];
        Assert.Equal(x0, first.X, 2);
        Assert.Equal(y1 - (4.1 - 1) / 3.5 * (y1 - y0), first.Y, 1);

        var legend = SvgDom.Select(doc, "//s:g[@class='legend']/s:text").Select(t => t.InnerText);
        Assert.Equal(["train", "val"], legend);
        var texts = SvgDom.Select(doc, "//s:text").Select(t => t.InnerText).ToList();
        Assert.Contains("Loss", texts);
        Assert.Contains("iteration", texts);
        Assert.Contains("loss", texts);
    }

    [Fact]
    public void TicksAreRoundNumbersCoveringTheData()
    {
        var doc = SvgDom.Parse(SvgPlot.Lines("t", "x", "y", [("s", [(0, 0.13), (5000, 0.97)])]));
        var texts = SvgDom.Select(doc, "//s:text[@class='tick-y']").Select(t => t.InnerText).ToList();
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], texts);
        var xTicks = SvgDom.Select(doc, "//s:text[@class='tick-x']").Select(t => t.InnerText).ToList();
        Assert.Equal(["0", "1000", "2000", "3000", "4000", "5000"], xTicks);
    }

    [Fact]
    public void NonFinitePointsBreakTheLineAndLonePointsAreDots()
    {
        var doc = SvgDom.Parse(SvgPlot.Lines("t", "x", "y",
            [("s", Points(1, 2, double.NaN, 3, 4, double.PositiveInfinity, 5))]));
        var d = SvgDom.Select(doc, "//s:g[@class='series']/s:path").Single().GetAttribute("d");
        Assert.Equal(2, d.Count(c => c == 'M')); // 1-2 and 3-4 are lines
        Assert.Equal(4, PathPoints(d).Count);     // 5 is alone after the infinity: a dot, not a vertex
        Assert.Single(SvgDom.Select(doc, "//s:g[@class='series']/s:circle"));
    }

    [Fact]
    public void EmptyOrAllNaNSeriesGiveAxesThatSayNoData()
    {
        foreach (var series in new[]
        {
            new List<(string, IReadOnlyList<(double, double)>)>(),
            [("a", Points())],
            [("a", Points(double.NaN, double.NaN))],
        })
        {
            var doc = SvgDom.Parse(SvgPlot.Lines("t", "x", "y", series));
            Assert.Contains("no data", SvgDom.Select(doc, "//s:text").Select(t => t.InnerText));
            Assert.Empty(SvgDom.Select(doc, "//s:path"));
        }
    }

    [Fact]
    public void OnePointOrAConstantSeriesStillGetsARange()
    {
        var doc = SvgDom.Parse(SvgPlot.Lines("t", "x", "y", [("flat", Points(2.5, 2.5, 2.5))]));
        var yTicks = SvgDom.Select(doc, "//s:text[@class='tick-y']").Select(t => double.Parse(t.InnerText, CultureInfo.InvariantCulture)).ToList();
        Assert.True(yTicks.Count >= 2);
        Assert.InRange(2.5, yTicks.Min(), yTicks.Max());
        Assert.True(yTicks.Min() < 2.5 && yTicks.Max() > 2.5, "a constant series sits inside the axis, not on its edge");

        var single = SvgDom.Parse(SvgPlot.Lines("t", "x", "y", [("one", [(7, 1e-3)])]));
        Assert.Single(SvgDom.Select(single, "//s:circle"));
    }

    [Fact]
    public void EscapesTitlesLabelsAndSeriesNames()
    {
        var doc = SvgDom.Parse(SvgPlot.Lines("a<b", "x&y", "\"y\"", [("<train>", Points(1, 2))]));
        var texts = SvgDom.Select(doc, "//s:text").Select(t => t.InnerText).ToList();
        Assert.Contains("a<b", texts);
        Assert.Contains("x&y", texts);
        Assert.Contains("<train>", texts);
    }

    [Fact]
    public void RejectsTinyPlotsAndMissingSeriesParts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SvgPlot.Lines("t", "x", "y", [], width: 50));
        Assert.Contains("series 0 has no points",
            Assert.Throws<ArgumentException>(() => SvgPlot.Lines("t", "x", "y", [("a", null!)])).Message);
    }
}
