using RegionClip.Data.Coco;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Data.Datasets;

/// <summary>One training image: its non-crowd boxes of training categories (XYXY, original pixels) and their class indices.</summary>
public sealed record DetectionImageEntry(long Id, string Path, string FileName, int Width, int Height, double[][] Boxes, long[] Classes);

/// <summary>A training view of an image: resized (maybe mirrored) RGB uint8 [H, W, 3], its boxes [G, 4] in those pixels and classes [G]. Owns its tensors.</summary>
public sealed record DetectionSample(Tensor Image, Tensor Boxes, Tensor Classes, int OriginalHeight, int OriginalWidth) : IDisposable
{
    public int Height => (int)Image.size(0);
    public int Width => (int)Image.size(1);

    public void Dispose()
    {
        Image.Dispose();
        Boxes.Dispose();
        Classes.Dispose();
    }
}

/// <summary>
/// A COCO-format instances file (COCO, LVIS v1, any user dataset) prepared as detectron2 prepares detection
/// training data: crowd and empty boxes left out; only the training categories' boxes kept (all of them, or the
/// base ones of an open-vocabulary split: novel objects stay in the images, unlabelled); class indices in
/// ascending category id; at most <c>maxBoxesPerImage</c> boxes per image (the LVIS loader's 500); images left
/// without a box dropped (FILTER_EMPTY_ANNOTATIONS).
/// </summary>
public sealed class DetectionTrainingSet
{
    private readonly DetectionImageEntry[] _entries;

    private DetectionTrainingSet(string source, DetectionImageEntry[] entries, IReadOnlyList<CocoCategory> trainCategories, int dropped, int removed)
    {
        (Source, _entries, TrainCategories, DroppedImages, RemovedBoxes) = (source, entries, trainCategories, dropped, removed);
    }

    public string Source { get; }
    public int Count => _entries.Length;
    public DetectionImageEntry this[int index] => _entries[index];
    public IReadOnlyList<DetectionImageEntry> Entries => _entries;
    /// <summary>The training classes in index order (ascending category id).</summary>
    public IReadOnlyList<CocoCategory> TrainCategories { get; }
    /// <summary>Images of the file left out because no training box remained.</summary>
    public int DroppedImages { get; }
    /// <summary>Boxes of categories outside training (novel) removed.</summary>
    public int RemovedBoxes { get; }
    public int Boxes => _entries.Sum(e => e.Boxes.Length);

    /// <param name="trainCategoryIds">The categories whose boxes train (null: all of the file's).</param>
    public static DetectionTrainingSet Load(CocoDataset coco, string imageRoot, IReadOnlyCollection<long>? trainCategoryIds, int maxBoxesPerImage = 0)
    {
        ArgumentNullException.ThrowIfNull(coco);
        var train = coco.Categories.Where(c => trainCategoryIds is null || trainCategoryIds.Contains(c.Id)).OrderBy(c => c.Id).ToList();
        if (train.Count == 0) throw new InvalidDataException($"{System.IO.Path.GetFileName(coco.Path)}: no training category (the split leaves none of its categories as base)");
        var index = train.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => (long)p.i);
        var entries = new List<DetectionImageEntry>();
        int dropped = 0, removed = 0;
        foreach (var image in coco.Images)
        {
            var boxes = new List<double[]>();
            var classes = new List<long>();
            var usable = GroundTruthBoxes.Of(coco, image.Id);
            // The LVIS loader keeps the first 500 annotations of an image (the file's order).
            if (maxBoxesPerImage > 0 && usable.Count > maxBoxesPerImage) usable = usable.Take(maxBoxesPerImage).ToList();
            foreach (var a in usable)
            {
                if (!index.TryGetValue(a.CategoryId, out var c)) { removed++; continue; }
                boxes.Add([a.Bbox[0], a.Bbox[1], a.Bbox[0] + a.Bbox[2], a.Bbox[1] + a.Bbox[3]]);
                classes.Add(c);
            }
            if (boxes.Count == 0) { dropped++; continue; }
            var path = System.IO.Path.GetFullPath(coco.ImageFile(image, imageRoot));
            entries.Add(new DetectionImageEntry(image.Id, path, image.FileName ?? System.IO.Path.GetFileName(path), image.Width, image.Height, [.. boxes], [.. classes]));
        }
        if (entries.Count == 0)
            throw new InvalidDataException($"'{coco.Path}' has no image with a box of a training category ({dropped} image(s) without one)");
        return new DetectionTrainingSet(coco.Path, [.. entries], train, dropped, removed);
    }

    /// <summary>
    /// Decodes image <paramref name="index"/> and resizes it as detectron2's ResizeShortestEdge (PIL bilinear), mirrored
    /// when asked; its boxes follow (<see cref="ViewBoxes"/>). Throws
    /// <see cref="InvalidDataException"/> naming the file when it cannot be decoded.
    /// </summary>
    public DetectionSample LoadSample(int index, int minSize, int maxSize, bool flip)
    {
        var e = _entries[index];
        using var scope = torch.NewDisposeScope();
        var rgb = ImageIO.Read(e.Path);
        int h = (int)rgb.size(0), w = (int)rgb.size(1);
        var resized = ClipPreprocess.ResizeShortestEdge(rgb, minSize, maxSize);
        int newH = (int)resized.size(0), newW = (int)resized.size(1);
        double sx = newW * 1.0 / w, sy = newH * 1.0 / h;
        var kept = new List<float>();
        var classes = new List<long>();
        for (int b = 0; b < e.Boxes.Length; b++)
        {
            if (ViewBoxes.TryAdd(e.Boxes[b], sx, sy, newW, newH, flip, kept)) classes.Add(e.Classes[b]);
        }
        var image = flip ? resized.flip(1) : resized;
        return new DetectionSample(image.contiguous().MoveToOuterScope(), torch.tensor(kept.ToArray(), kept.Count / 4, 4).MoveToOuterScope(),
            torch.tensor(classes.ToArray(), classes.Count).MoveToOuterScope(), h, w);
    }

    /// <summary>
    /// LVIS repeat factors (detectron2's RepeatFactorTrainingSampler): per category r_c = max(1, √(t / f_c)) with f_c the
    /// share of training images that show it; per image the largest r_c of its categories.
    /// </summary>
    public double[] RepeatFactors(double threshold)
    {
        if (!(threshold > 0)) return [.. _entries.Select(_ => 1.0)];
        var imagesWith = new Dictionary<long, int>();
        foreach (var e in _entries)
            foreach (var c in e.Classes.Distinct())
                imagesWith[c] = imagesWith.GetValueOrDefault(c) + 1;
        var perCategory = imagesWith.ToDictionary(kv => kv.Key, kv => Math.Max(1.0, Math.Sqrt(threshold / (kv.Value / (double)_entries.Length))));
        return [.. _entries.Select(e => e.Classes.Distinct().Max(c => perCategory[c]))];
    }
}
