using System.Text;
using System.Xml;

namespace RegionClip.Visualization;

/// <summary>
/// The skeleton shared by the gallery and reports: an HTML5 page that is also well-formed XML
/// (so tests and tools can parse it), with its style sheet inline and no script.
/// </summary>
internal static class HtmlPage
{
    private const string Css = """
        body { font-family: system-ui, "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
        h1 { font-size: 1.5rem; margin: 0 0 0.25rem 0; }
        h2 { font-size: 1.2rem; margin: 1.5rem 0 0.5rem 0; }
        .summary { color: #555; margin: 0 0 1rem 0; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 1rem; }
        figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem; }
        figure img { width: 100%; height: auto; display: block; }
        figcaption { font-size: 0.85rem; margin-top: 0.4rem; overflow-wrap: anywhere; }
        .name { font-weight: 600; }
        .labels { color: #555; }
        .error { color: #b00020; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem 0; background: #fff; }
        th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3rem; }
        .plot { background: #fff; border: 1px solid #ddd; display: inline-block; margin: 0 1rem 1rem 0; }
        """;

    // Void elements are written as <x/>; every other element gets an explicit end tag, because
    // HTML parsers read <div/> as an opening tag.
    private static readonly HashSet<string> VoidElements = ["meta", "img", "br", "hr"];

    /// <summary>The whole page; <paramref name="body"/> writes what goes inside &lt;body&gt;.</summary>
    public static string Render(string title, Action<XmlWriter> body)
    {
        var text = new StringBuilder(4096);
        text.Append("<!DOCTYPE html>\n");
        using (var w = Markup.Writer(text))
        {
            w.WriteStartElement("html", "http://www.w3.org/1999/xhtml");
            w.WriteAttributeString("lang", "en");
            Open(w, "head");
            Void(w, "meta", ("charset", "utf-8"));
            Void(w, "meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"));
            Element(w, "title", title);
            Open(w, "style");
            w.WriteString("\n" + Css);
            Close(w);
            Close(w);
            Open(w, "body");
            Element(w, "h1", title);
            body(w);
            Close(w);
            Close(w);
        }
        text.Append('\n');
        return text.ToString();
    }

    public static void Open(XmlWriter w, string name, params (string Name, string Value)[] attributes)
    {
        if (VoidElements.Contains(name)) throw new InvalidOperationException($"<{name}> is a void element");
        w.WriteStartElement(name);
        foreach (var (n, v) in attributes) w.WriteAttributeString(n, Markup.Clean(v));
    }

    public static void Close(XmlWriter w) => w.WriteFullEndElement();

    public static void Element(XmlWriter w, string name, string text, params (string Name, string Value)[] attributes)
    {
        Open(w, name, attributes);
        w.WriteString(Markup.Clean(text));
        Close(w);
    }

    public static void Void(XmlWriter w, string name, params (string Name, string Value)[] attributes)
    {
        w.WriteStartElement(name);
        foreach (var (n, v) in attributes) w.WriteAttributeString(n, Markup.Clean(v));
        w.WriteEndElement();
    }

    /// <summary>
    /// A link from a page in <paramref name="pageDirectory"/> to <paramref name="target"/>:
    /// relative, '/'-separated, each segment percent-encoded (spaces, '#', '?' in file names).
    /// </summary>
    public static string RelativeUrl(string pageDirectory, string target)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(pageDirectory), Path.GetFullPath(target));
        if (Path.IsPathRooted(relative))
            throw new ArgumentException($"'{target}' cannot be linked relatively from '{pageDirectory}' (different volume)");
        return string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
    }
}
