using RegionClip.Visualization;

namespace RegionClip.Tests.Visualization;

public sealed class HtmlReportTests
{
    [Fact]
    public void BuildsHeadingsTablesInlinePlotsAndPictures()
    {
        using var dir = Paths.TempDir();
        var picture = Path.Combine(dir.FullName, "pictures", "val 1.svg");
        var plot = SvgPlot.Lines("Loss", "iteration", "loss", [("train", [(0, 2.0), (1, 1.0)])]);
        var path = dir.File("report.html");
        new HtmlReport("Demo <report>")
            .Heading("Results")
            .Table(["classes", "AP50"], [["novel", "41.2"], ["base & all", "55.0%"]], caption: "GT boxes")
            .Svg(plot)
            .Pictures([(picture, "val 1")])
            .Paragraph("done")
            .Write(path);

        var doc = SvgDom.Parse(File.ReadAllText(path));
        Assert.Equal("Demo <report>", SvgDom.Select(doc, "//h:h1").Single().InnerText);
        Assert.Equal("Results", SvgDom.Select(doc, "//h:h2").Single().InnerText);
        var cells = SvgDom.Select(doc, "//h:tbody//h:td");
        Assert.Equal(["novel", "41.2", "base & all", "55.0%"], cells.Select(c => c.InnerText));
        Assert.Equal(["", "num", "", "num"], cells.Select(c => c.GetAttribute("class")));
        // The plot is inline, in the SVG namespace, with its lines.
        Assert.Single(SvgDom.Select(doc, "//h:div[@class='plot']/s:svg//s:path"));
        Assert.Equal("pictures/val%201.svg", SvgDom.Select(doc, "//h:figure/h:a").Single().GetAttribute("href"));
    }

    [Fact]
    public void RefusesMarkupThatIsNotOneSvgElement()
    {
        var report = new HtmlReport("r");
        Assert.Contains("not well-formed", Assert.Throws<ArgumentException>(() => report.Svg("<svg><g></svg>")).Message);
        Assert.Contains("expected an <svg>", Assert.Throws<ArgumentException>(() => report.Svg("<div/>")).Message);
        Assert.Throws<ArgumentException>(() => report.Table(["a"], [["1", "2"]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => report.Heading("x", level: 1));
    }
}
