using System.Globalization;
using System.Xml;
using RegionClip.Common;

namespace RegionClip.Visualization;

/// <summary>
/// One picture of the gallery: the SVG file to show (null when the image failed), the name to
/// show under it, how many detections it has, and a few of them as text (e.g. "cat 0.87").
/// </summary>
public sealed record GalleryItem(string Name, string? SvgPath, int DetectionCount, IReadOnlyList<string> TopLabels, string? Error = null)
{
    /// <summary>An item whose caption lists the best <paramref name="top"/> distinct labels among <paramref name="boxes"/>.</summary>
    public static GalleryItem FromBoxes(string name, string svgPath, IReadOnlyList<DrawnBox> boxes, int top = 3)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var labels = boxes
            .Where(b => b.Label != null)
            .GroupBy(b => b.Label)
            .Select(g => g.OrderByDescending(b => float.IsNaN(b.Score) ? float.NegativeInfinity : b.Score).First())
            .OrderByDescending(b => float.IsNaN(b.Score) ? float.NegativeInfinity : b.Score)
            .Take(top)
            .Select(b => b.Caption)
            .ToList();
        return new GalleryItem(name, svgPath, boxes.Count, labels);
    }

    /// <summary>An item for an image that could not be processed; the gallery shows the reason.</summary>
    public static GalleryItem Failed(string name, string error) => new(name, null, 0, [], error);
}

/// <summary>
/// <c>index.html</c> for a folder of detection pictures: a responsive grid of the SVGs with each
/// file's name, detection count and top labels. Self-contained (inline CSS, no script); links
/// are relative, so the folder can be moved or served as it is.
/// </summary>
public static class Gallery
{
    /// <summary>The page for a file at <paramref name="path"/> (links are made relative to its folder).</summary>
    public static string Render(string path, IReadOnlyList<GalleryItem> items, string title)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(title);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? throw new ArgumentException($"gallery item {i} is null", nameof(items));
            if (item.Name is null) throw new ArgumentException($"gallery item {i} has no name", nameof(items));
            if (item.SvgPath is null && item.Error is null)
                throw new ArgumentException($"gallery item {i} ({item.Name}) has neither a picture nor an error", nameof(items));
        }

        int failed = items.Count(i => i.SvgPath is null);
        int detections = items.Sum(i => i.DetectionCount);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{Count(items.Count, "image")}, {Count(detections, "detection")}{(failed > 0 ? $", {failed} failed" : "")}");
        return HtmlPage.Render(title, w =>
        {
            HtmlPage.Element(w, "p", summary, ("class", "summary"));
            HtmlPage.Open(w, "div", ("class", "grid"));
            foreach (var item in items) WriteItem(w, directory, item);
            HtmlPage.Close(w);
        });
    }

    /// <summary>Writes <see cref="Render"/>'s page to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<GalleryItem> items, string title) =>
        AtomicFile.WriteAllText(path, Render(path, items, title));

    private static void WriteItem(XmlWriter w, string directory, GalleryItem item)
    {
        HtmlPage.Open(w, "figure");
        if (item.SvgPath != null)
        {
            var url = HtmlPage.RelativeUrl(directory, item.SvgPath);
            HtmlPage.Open(w, "a", ("href", url));
            HtmlPage.Void(w, "img", ("src", url), ("alt", item.Name), ("loading", "lazy"));
            HtmlPage.Close(w);
        }
        HtmlPage.Open(w, "figcaption");
        HtmlPage.Element(w, "div", item.Name, ("class", "name"));
        if (item.Error != null)
            HtmlPage.Element(w, "div", item.Error, ("class", "error"));
        else
        {
            HtmlPage.Element(w, "div", Count(item.DetectionCount, "detection"), ("class", "count"));
            if (item.TopLabels is { Count: > 0 })
                HtmlPage.Element(w, "div", string.Join(", ", item.TopLabels), ("class", "labels"));
        }
        HtmlPage.Close(w);
        HtmlPage.Close(w);
    }

    private static string Count(int n, string noun) => string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : "s")}");
}
