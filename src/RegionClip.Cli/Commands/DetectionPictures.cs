using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Visualization;

namespace RegionClip.Cli.Commands;

/// <summary>detect --out DIR: one SVG per image (the best detections drawn) and an index.html gallery.</summary>
internal sealed class DetectionPictures(string outDir, double drawThreshold, int maxDrawn)
{
    private readonly List<GalleryItem> _items = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Draws the detections scoring above the threshold, best first, at most maxDrawn (the official visualiser: 0.05, 25).</summary>
    internal void Add(string imagePath, DetectionImage image, IReadOnlyList<Detection> detections)
    {
        var drawn = detections.Where(d => d.Score > drawThreshold).Take(maxDrawn)
            .Select(d => new DrawnBox(d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2, d.Label, d.Score, d.Concept)).ToList();
        // The resized image is enough to look at; the SVG keeps original pixel coordinates.
        var picture = new EmbeddedImage(RegionClip.Torch.Vision.image.encode_jpeg(image.Resized, 85), "image/jpeg", image.OriginalWidth, image.OriginalHeight);
        var svg = UniqueName(Path.GetFileNameWithoutExtension(imagePath)) + ".svg";
        DetectionSvg.Write(Path.Combine(outDir, svg), picture, drawn, Path.GetFileName(imagePath));
        _items.Add(GalleryItem.FromBoxes(Path.GetFileName(imagePath), svg, drawn));
    }

    internal void AddFailure(string imagePath, string error) => _items.Add(GalleryItem.Failed(Path.GetFileName(imagePath), error));

    internal void WriteGallery(string title) => Gallery.Write(Path.Combine(outDir, "index.html"), _items, title);

    private string UniqueName(string stem)
    {
        var name = stem;
        for (int i = 2; !_names.Add(name); i++) name = $"{stem}_{i}";
        return name;
    }
}
