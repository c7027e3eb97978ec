using System.Text;
using System.Xml;

namespace RegionClip.Visualization;

/// <summary>Line plots as standalone SVG (loss curves, metrics over iterations).</summary>
public static class SvgPlot
{
    // Values beyond this are treated like NaN (a gap): they would flatten every other point to one line.
    private const double MaxMagnitude = 1e150;
    private const string FontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif";
    private const double Left = 64, Right = 16, Top = 34, Bottom = 46;

    /// <summary>
    /// One plot: a line per series in palette order, axes with ticks, a legend. Non-finite points
    /// break a line (the segments around them are drawn apart) and a point without finite neighbours
    /// is drawn as a dot; with no finite point at all the axes say "no data".
    /// </summary>
    /// <returns>An SVG element (no XML declaration), usable as a file or inline in HTML.</returns>
    public static string Lines(string title, string xLabel, string yLabel,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series,
        int width = 640, int height = 360)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        ArgumentNullException.ThrowIfNull(series);
        if (width < 200 || height < 150) throw new ArgumentOutOfRangeException(nameof(width), $"a plot needs at least 200x150 pixels, got {width}x{height}");
        for (int i = 0; i < series.Count; i++)
            if (series[i].Name is null || series[i].Points is null)
                throw new ArgumentException($"series {i} has no {(series[i].Name is null ? "name" : "points")}", nameof(series));

        var finite = series.SelectMany(s => s.Points).Where(Usable).ToList();
        var x = finite.Count > 0 ? new AxisScale(finite.Min(p => p.X), finite.Max(p => p.X)) : new AxisScale(0, 1);
        var y = finite.Count > 0 ? new AxisScale(finite.Min(p => p.Y), finite.Max(p => p.Y)) : new AxisScale(0, 1);
        var plot = new Area(Left, Top, width - Right, height - Bottom);

        var text = new StringBuilder(1024 + series.Sum(s => s.Points.Count) * 16);
        using (var w = Markup.Writer(text))
        {
            w.WriteStartElement("svg", Markup.SvgNamespace);
            w.WriteAttributeString("width", Markup.Num(width));
            w.WriteAttributeString("height", Markup.Num(height));
            w.WriteAttributeString("viewBox", $"0 0 {width} {height}");
            w.WriteAttributeString("font-family", FontFamily);
            w.WriteAttributeString("font-size", "12");
            w.WriteElementString("title", Markup.SvgNamespace, Markup.Clean(title));
            Rect(w, 0, 0, width, height, fill: "#ffffff", stroke: null);
            Text(w, width / 2.0, 20, title, "middle", fontSize: 14, bold: true);

            WriteAxes(w, plot, x, y, xLabel, yLabel);
            if (finite.Count == 0) Text(w, (plot.X0 + plot.X1) / 2, (plot.Y0 + plot.Y1) / 2, "no data", "middle", fill: "#888888");
            for (int i = 0; i < series.Count; i++) WriteSeries(w, plot, x, y, series[i].Points, Palette.Color(i));
            WriteLegend(w, plot, series.Select(s => s.Name).ToList());

            w.WriteEndElement();
        }
        text.Append('\n');
        return text.ToString();
    }

    private static bool Usable((double X, double Y) p) =>
        double.IsFinite(p.X) && double.IsFinite(p.Y) && Math.Abs(p.X) <= MaxMagnitude && Math.Abs(p.Y) <= MaxMagnitude;

    private static void WriteAxes(XmlWriter w, Area plot, AxisScale x, AxisScale y, string xLabel, string yLabel)
    {
        const string grid = "#e4e4e4", axis = "#444444";
        foreach (var t in y.Ticks())
        {
            double py = y.Map(t, plot.Y1, plot.Y0);
            Line(w, plot.X0, py, plot.X1, py, grid, 1);
            Line(w, plot.X0 - 4, py, plot.X0, py, axis, 1);
            Text(w, plot.X0 - 7, py + 4, y.Format(t), "end", cls: "tick-y");
        }
        foreach (var t in x.Ticks())
        {
            double px = x.Map(t, plot.X0, plot.X1);
            Line(w, px, plot.Y0, px, plot.Y1, grid, 1);
            Line(w, px, plot.Y1, px, plot.Y1 + 4, axis, 1);
            Text(w, px, plot.Y1 + 17, x.Format(t), "middle", cls: "tick-x");
        }
        Rect(w, plot.X0, plot.Y0, plot.X1 - plot.X0, plot.Y1 - plot.Y0, fill: "none", stroke: axis);
        Text(w, (plot.X0 + plot.X1) / 2, plot.Y1 + 36, xLabel, "middle");

        // The y label reads bottom to top along the left edge.
        double cx = 14, cy = (plot.Y0 + plot.Y1) / 2;
        w.WriteStartElement("text", Markup.SvgNamespace);
        w.WriteAttributeString("x", Markup.Num(cx));
        w.WriteAttributeString("y", Markup.Num(cy));
        w.WriteAttributeString("text-anchor", "middle");
        w.WriteAttributeString("transform", $"rotate(-90 {Markup.Num(cx)} {Markup.Num(cy)})");
        w.WriteString(Markup.Clean(yLabel));
        w.WriteEndElement();
    }

    private static void WriteSeries(XmlWriter w, Area plot, AxisScale x, AxisScale y, IReadOnlyList<(double X, double Y)> points, string color)
    {
        // Runs of consecutive usable points become sub-paths; a run of one point becomes a dot.
        var path = new StringBuilder();
        var dots = new List<(double X, double Y)>();
        var run = new List<(double X, double Y)>();
        for (int i = 0; i <= points.Count; i++)
        {
            if (i < points.Count && Usable(points[i]))
            {
                run.Add((x.Map(points[i].X, plot.X0, plot.X1), y.Map(points[i].Y, plot.Y1, plot.Y0)));
                continue;
            }
            if (run.Count == 1) dots.Add(run[0]);
            else
                for (int k = 0; k < run.Count; k++)
                    path.Append(k == 0 ? 'M' : 'L').Append(Markup.Num(run[k].X)).Append(' ').Append(Markup.Num(run[k].Y)).Append(' ');
            run.Clear();
        }
        w.WriteStartElement("g", Markup.SvgNamespace);
        w.WriteAttributeString("class", "series");
        if (path.Length > 0)
        {
            w.WriteStartElement("path", Markup.SvgNamespace);
            w.WriteAttributeString("d", path.ToString().TrimEnd());
            w.WriteAttributeString("fill", "none");
            w.WriteAttributeString("stroke", color);
            w.WriteAttributeString("stroke-width", "1.75");
            w.WriteAttributeString("stroke-linejoin", "round");
            w.WriteAttributeString("stroke-linecap", "round");
            w.WriteEndElement();
        }
        foreach (var (px, py) in dots)
        {
            w.WriteStartElement("circle", Markup.SvgNamespace);
            w.WriteAttributeString("cx", Markup.Num(px));
            w.WriteAttributeString("cy", Markup.Num(py));
            w.WriteAttributeString("r", "2.5");
            w.WriteAttributeString("fill", color);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void WriteLegend(XmlWriter w, Area plot, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return;
        const double row = 16, swatch = 18, pad = 6;
        var labels = names.Select(Markup.Clean).ToList();
        // Sans-serif text averages about 0.6 em per character at 12 px: enough to size the frame.
        double textWidth = labels.Max(n => n.Length) * 7.2;
        double boxWidth = Math.Min(plot.X1 - plot.X0 - 2 * pad, swatch + 6 + textWidth + 2 * pad);
        double x0 = plot.X1 - pad - boxWidth, y0 = plot.Y0 + pad;
        w.WriteStartElement("g", Markup.SvgNamespace);
        w.WriteAttributeString("class", "legend");
        Rect(w, x0, y0, boxWidth, labels.Count * row + pad, fill: "#ffffff", stroke: "#bbbbbb", opacity: 0.85);
        for (int i = 0; i < labels.Count; i++)
        {
            double cy = y0 + pad / 2 + row * i + row / 2;
            Line(w, x0 + pad, cy, x0 + pad + swatch, cy, Palette.Color(i), 2.5);
            Text(w, x0 + pad + swatch + 6, cy + 4, labels[i], "start");
        }
        w.WriteEndElement();
    }

    private static void Line(XmlWriter w, double x1, double y1, double x2, double y2, string stroke, double strokeWidth)
    {
        w.WriteStartElement("line", Markup.SvgNamespace);
        w.WriteAttributeString("x1", Markup.Num(x1));
        w.WriteAttributeString("y1", Markup.Num(y1));
        w.WriteAttributeString("x2", Markup.Num(x2));
        w.WriteAttributeString("y2", Markup.Num(y2));
        w.WriteAttributeString("stroke", stroke);
        w.WriteAttributeString("stroke-width", Markup.Num(strokeWidth));
        w.WriteEndElement();
    }

    private static void Rect(XmlWriter w, double x, double y, double width, double height, string fill, string? stroke, double opacity = 1)
    {
        w.WriteStartElement("rect", Markup.SvgNamespace);
        w.WriteAttributeString("x", Markup.Num(x));
        w.WriteAttributeString("y", Markup.Num(y));
        w.WriteAttributeString("width", Markup.Num(width));
        w.WriteAttributeString("height", Markup.Num(height));
        w.WriteAttributeString("fill", fill);
        if (opacity < 1) w.WriteAttributeString("fill-opacity", Markup.Num(opacity));
        if (stroke != null) w.WriteAttributeString("stroke", stroke);
        w.WriteEndElement();
    }

    private static void Text(XmlWriter w, double x, double y, string text, string anchor, double fontSize = 12, bool bold = false, string? fill = null, string? cls = null)
    {
        w.WriteStartElement("text", Markup.SvgNamespace);
        if (cls != null) w.WriteAttributeString("class", cls);
        w.WriteAttributeString("x", Markup.Num(x));
        w.WriteAttributeString("y", Markup.Num(y));
        w.WriteAttributeString("text-anchor", anchor);
        if (fontSize != 12) w.WriteAttributeString("font-size", Markup.Num(fontSize));
        if (bold) w.WriteAttributeString("font-weight", "bold");
        if (fill != null) w.WriteAttributeString("fill", fill);
        w.WriteString(Markup.Clean(text));
        w.WriteEndElement();
    }

    /// <summary>The plotting rectangle in SVG pixels (y grows downwards).</summary>
    private readonly record struct Area(double X0, double Y0, double X1, double Y1);
}
