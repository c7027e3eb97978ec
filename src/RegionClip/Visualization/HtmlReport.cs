using System.Globalization;
using System.Xml;
using RegionClip.Common;

namespace RegionClip.Visualization;

/// <summary>
/// A simple self-contained report page built top to bottom: headings, paragraphs, tables, inline
/// SVG plots (<see cref="SvgPlot.Lines"/>) and linked pictures. Used by the demo's report.html.
/// </summary>
public sealed class HtmlReport
{
    private readonly string _title;
    private readonly List<Action<XmlWriter, string>> _parts = [];

    public HtmlReport(string title) => _title = title ?? throw new ArgumentNullException(nameof(title));

    /// <summary>A section heading (h2, or h3 with <paramref name="level"/> 3).</summary>
    public HtmlReport Heading(string text, int level = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (level is not (2 or 3)) throw new ArgumentOutOfRangeException(nameof(level), level, "headings are h2 or h3 (the title is h1)");
        _parts.Add((w, _) => HtmlPage.Element(w, "h" + level.ToString(CultureInfo.InvariantCulture), text));
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _parts.Add((w, _) => HtmlPage.Element(w, "p", text));
        return this;
    }

    /// <summary>A table; cells that parse as numbers are right-aligned. Rows may be shorter than the header.</summary>
    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var body = rows.ToList();
        for (int r = 0; r < body.Count; r++)
            if (body[r] is null || body[r].Count > header.Count)
                throw new ArgumentException($"table row {r} has {body[r]?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} cells for {header.Count} columns", nameof(rows));
        _parts.Add((w, _) =>
        {
            HtmlPage.Open(w, "table");
            if (caption != null) HtmlPage.Element(w, "caption", caption);
            HtmlPage.Open(w, "thead");
            HtmlPage.Open(w, "tr");
            foreach (var h in header) HtmlPage.Element(w, "th", h ?? "");
            HtmlPage.Close(w);
            HtmlPage.Close(w);
            HtmlPage.Open(w, "tbody");
            foreach (var row in body)
            {
                HtmlPage.Open(w, "tr");
                foreach (var cell in row)
                {
                    var value = cell ?? "";
                    bool numeric = double.TryParse(value.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out double _);
                    if (numeric) HtmlPage.Element(w, "td", value, ("class", "num"));
                    else HtmlPage.Element(w, "td", value);
                }
                HtmlPage.Close(w);
            }
            HtmlPage.Close(w);
            HtmlPage.Close(w);
        });
        return this;
    }

    /// <summary>Inline SVG markup, as <see cref="SvgPlot.Lines"/> returns it (checked to be one well-formed &lt;svg&gt; element).</summary>
    public HtmlReport Svg(string svg)
    {
        ArgumentNullException.ThrowIfNull(svg);
        CheckSvg(svg);
        _parts.Add((w, _) =>
        {
            HtmlPage.Open(w, "div", ("class", "plot"));
            w.WriteRaw(svg.Trim());
            HtmlPage.Close(w);
        });
        return this;
    }

    /// <summary>Pictures (e.g. detection SVG files) side by side, each linked to its file, with captions.</summary>
    public HtmlReport Pictures(IReadOnlyList<(string Path, string Caption)> pictures)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        _parts.Add((w, directory) =>
        {
            HtmlPage.Open(w, "div", ("class", "grid"));
            foreach (var (path, caption) in pictures)
            {
                var url = HtmlPage.RelativeUrl(directory, path);
                HtmlPage.Open(w, "figure");
                HtmlPage.Open(w, "a", ("href", url));
                HtmlPage.Void(w, "img", ("src", url), ("alt", caption ?? ""), ("loading", "lazy"));
                HtmlPage.Close(w);
                HtmlPage.Element(w, "figcaption", caption ?? "");
                HtmlPage.Close(w);
            }
            HtmlPage.Close(w);
        });
        return this;
    }

    /// <summary>The page for a file at <paramref name="path"/> (links are made relative to its folder).</summary>
    public string Render(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return HtmlPage.Render(_title, w =>
        {
            foreach (var part in _parts) part(w, directory);
        });
    }

    /// <summary>Writes the page to <paramref name="path"/> atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, Render(path));

    private static void CheckSvg(string svg)
    {
        try
        {
            var doc = new XmlDocument();
            doc.LoadXml(svg);
            if (doc.DocumentElement is not { LocalName: "svg" })
                throw new ArgumentException($"expected an <svg> element, got <{doc.DocumentElement?.Name}>", nameof(svg));
        }
        catch (XmlException e)
        {
            throw new ArgumentException($"the SVG markup is not well-formed: {e.Message}", nameof(svg), e);
        }
    }
}
