using System.Globalization;
using System.Xml;

namespace RegionClip.Tests.Visualization;

/// <summary>Parses the writers' output with System.Xml, so every test also proves well-formedness.</summary>
internal static class SvgDom
{
    public const string Svg = "http://www.w3.org/2000/svg";
    public const string Xhtml = "http://www.w3.org/1999/xhtml";

    public static XmlDocument Parse(string markup)
    {
        var doc = new XmlDocument();
        // The HTML pages start with <!DOCTYPE html>: a DTD-less doctype, ignored.
        using var reader = XmlReader.Create(new StringReader(markup), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        doc.Load(reader);
        return doc;
    }

    public static XmlNamespaceManager Names(XmlDocument doc)
    {
        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("s", Svg);
        ns.AddNamespace("h", Xhtml);
        ns.AddNamespace("xlink", "http://www.w3.org/1999/xlink");
        return ns;
    }

    public static List<XmlElement> Select(XmlDocument doc, string xpath) =>
        doc.SelectNodes(xpath, Names(doc))!.Cast<XmlElement>().ToList();

    public static double Num(XmlElement e, string attribute) =>
        double.Parse(e.GetAttribute(attribute), NumberStyles.Float, CultureInfo.InvariantCulture);
}
