using System.Globalization;
using System.Text;
using System.Xml;

namespace RegionClip.Visualization;

/// <summary>Shared plumbing for the SVG and HTML writers: XML writers, number text, atomic files.</summary>
internal static class Markup
{
    public const string SvgNamespace = "http://www.w3.org/2000/svg";
    public const string XlinkNamespace = "http://www.w3.org/1999/xlink";

    /// <summary>An XmlWriter into <paramref name="text"/>, no declaration (so the output can be inlined in HTML).</summary>
    public static XmlWriter Writer(StringBuilder text, bool indent = true) => XmlWriter.Create(text, new XmlWriterSettings
    {
        OmitXmlDeclaration = true,
        Indent = indent,
        IndentChars = " ",
        NewLineChars = "\n",
        ConformanceLevel = ConformanceLevel.Fragment,
    });

    /// <summary>Coordinates and lengths: at most two decimals, invariant culture, no "-0".</summary>
    public static string Num(double value)
    {
        var s = value.ToString("0.##", CultureInfo.InvariantCulture);
        return s == "-0" ? "0" : s;
    }

    /// <summary>
    /// Text made safe for XML 1.0: characters XML cannot carry at all (control characters, lone
    /// surrogates) become U+FFFD, so a strange label degrades visibly instead of breaking the file.
    /// Markup characters are escaped later by the XmlWriter.
    /// </summary>
    public static string Clean(string text)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool ok;
            int width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { ok = true; width = 2; }
            else ok = XmlConvert.IsXmlChar(c);
            if (!ok) (sb ??= new StringBuilder(text, 0, i, text.Length)).Append('\uFFFD');
            else sb?.Append(text, i, width);
            i += width - 1;
        }
        return sb?.ToString() ?? text;
    }
}
