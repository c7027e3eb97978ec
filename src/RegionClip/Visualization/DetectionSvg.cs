using System.Text;
using System.Xml;
using RegionClip.Common;

namespace RegionClip.Visualization;

/// <summary>
/// One detection picture as a self-contained SVG: the image (a data: URI), a rectangle per box
/// in the class's colour and a caption "label score" on a filled background. The viewBox is the
/// image's pixel grid, so boxes are written in image coordinates unchanged.
/// </summary>
public static class DetectionSvg
{
    // Monospace glyphs advance about 0.6 em in the usual fonts (DejaVu Sans Mono, Menlo, Consolas; a little slack here),
    // which lets the caption background be sized without measuring text.
    private const double CharWidthEm = 0.62;
    private const string FontFamily = "DejaVu Sans Mono, Menlo, Consolas, monospace";

    /// <summary>The SVG document (UTF-8 text, no XML declaration, so it can also be inlined in HTML).</summary>
    /// <param name="boxes">Drawn lowest score first, so the best detections' captions end up on top.</param>
    public static string Render(EmbeddedImage image, IReadOnlyList<DrawnBox> boxes, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        image.Validate();
        for (int i = 0; i < boxes.Count; i++) CheckBox(boxes[i], i);

        var style = Style.For(image.Width, image.Height);
        var text = new StringBuilder(image.Bytes.Length * 4 / 3 + 512 + 400 * boxes.Count);
        using (var w = Markup.Writer(text))
        {
            w.WriteStartElement("svg", Markup.SvgNamespace);
            w.WriteAttributeString("xmlns", "xlink", null, Markup.XlinkNamespace);
            w.WriteAttributeString("width", Markup.Num(image.Width));
            w.WriteAttributeString("height", Markup.Num(image.Height));
            w.WriteAttributeString("viewBox", $"0 0 {Markup.Num(image.Width)} {Markup.Num(image.Height)}");
            if (title != null) w.WriteElementString("title", Markup.SvgNamespace, Markup.Clean(title));

            w.WriteStartElement("image", Markup.SvgNamespace);
            w.WriteAttributeString("x", "0");
            w.WriteAttributeString("y", "0");
            w.WriteAttributeString("width", Markup.Num(image.Width));
            w.WriteAttributeString("height", Markup.Num(image.Height));
            w.WriteAttributeString("preserveAspectRatio", "none");
            // xlink:href rather than SVG 2's href: every browser and converter still reads it.
            w.WriteStartAttribute("href", Markup.XlinkNamespace);
            w.WriteString($"data:{image.MimeType};base64,");
            w.WriteBase64(image.Bytes, 0, image.Bytes.Length);
            w.WriteEndAttribute();
            w.WriteEndElement();

            w.WriteStartElement("g", Markup.SvgNamespace);
            w.WriteAttributeString("font-family", FontFamily);
            w.WriteAttributeString("font-size", Markup.Num(style.FontSize));
            // OrderBy is stable: equal scores keep the caller's order.
            foreach (var box in boxes.OrderBy(b => float.IsNaN(b.Score) ? float.NegativeInfinity : b.Score))
                WriteBox(w, box, style, image.Width, image.Height);
            w.WriteEndElement();

            w.WriteEndElement();
        }
        text.Append('\n');
        return text.ToString();
    }

    /// <summary>Writes <see cref="Render"/>'s document to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, EmbeddedImage image, IReadOnlyList<DrawnBox> boxes, string? title = null) =>
        AtomicFile.WriteAllText(path, Render(image, boxes, title));

    private static void WriteBox(XmlWriter w, DrawnBox box, Style style, int width, int height)
    {
        string color = Palette.Color(box.ColorIndex);
        string caption = Markup.Clean(box.Caption);
        w.WriteStartElement("g", Markup.SvgNamespace);
        w.WriteAttributeString("class", "detection");

        w.WriteStartElement("rect", Markup.SvgNamespace);
        w.WriteAttributeString("class", "box");
        w.WriteAttributeString("x", Markup.Num(box.X1));
        w.WriteAttributeString("y", Markup.Num(box.Y1));
        w.WriteAttributeString("width", Markup.Num(box.X2 - box.X1));
        w.WriteAttributeString("height", Markup.Num(box.Y2 - box.Y1));
        w.WriteAttributeString("fill", "none");
        w.WriteAttributeString("stroke", color);
        w.WriteAttributeString("stroke-width", Markup.Num(style.StrokeWidth));
        w.WriteEndElement();

        // The caption sits on the box's top edge, outside when there is room above, inside otherwise,
        // and is pushed left so it never leaves the picture on the right.
        double labelWidth = new System.Globalization.StringInfo(caption).LengthInTextElements * CharWidthEm * style.FontSize + 2 * style.Padding;
        double labelHeight = style.FontSize + 2 * style.Padding;
        double left = Math.Max(0, Math.Min(box.X1, width - labelWidth));
        double top = box.Y1 - labelHeight >= 0 ? box.Y1 - labelHeight : Math.Max(0, Math.Min(box.Y1, height - labelHeight));

        w.WriteStartElement("rect", Markup.SvgNamespace);
        w.WriteAttributeString("class", "label-background");
        w.WriteAttributeString("x", Markup.Num(left));
        w.WriteAttributeString("y", Markup.Num(top));
        w.WriteAttributeString("width", Markup.Num(labelWidth));
        w.WriteAttributeString("height", Markup.Num(labelHeight));
        w.WriteAttributeString("fill", color);
        w.WriteAttributeString("fill-opacity", "0.85");
        w.WriteEndElement();

        w.WriteStartElement("text", Markup.SvgNamespace);
        w.WriteAttributeString("class", "label");
        w.WriteAttributeString("x", Markup.Num(left + style.Padding));
        // Baseline at ~0.8 em below the text's top: the ascent of common fonts.
        w.WriteAttributeString("y", Markup.Num(top + style.Padding + 0.8 * style.FontSize));
        w.WriteAttributeString("fill", Palette.TextColorOn(color));
        w.WriteString(caption);
        w.WriteEndElement();

        w.WriteEndElement();
    }

    private static void CheckBox(DrawnBox? box, int index)
    {
        if (box is null) throw new ArgumentException($"box {index} is null");
        if (box.Label is null) throw new ArgumentException($"box {index} has no label");
        if (!float.IsFinite(box.X1) || !float.IsFinite(box.Y1) || !float.IsFinite(box.X2) || !float.IsFinite(box.Y2))
            throw new ArgumentException($"box {index} ({box.Label}) has a non-finite corner: ({box.X1}, {box.Y1}, {box.X2}, {box.Y2})");
        if (box.X2 < box.X1 || box.Y2 < box.Y1)
            throw new ArgumentException($"box {index} ({box.Label}) has x2 < x1 or y2 < y1: ({box.X1}, {box.Y1}, {box.X2}, {box.Y2})");
        if (box.ColorIndex < 0) throw new ArgumentException($"box {index} ({box.Label}) has a negative colour index {box.ColorIndex}");
    }

    /// <summary>Line widths and text sizes that look alike whatever the image size.</summary>
    private readonly record struct Style(double StrokeWidth, double FontSize, double Padding)
    {
        public static Style For(int width, int height)
        {
            double side = Math.Max(width, height);
            double font = Math.Max(8.0, side / 32.0);
            return new Style(Math.Max(1.0, side / 320.0), font, font * 0.2);
        }
    }
}
