using RegionClip.Data;
using RegionClip.Data.Coco;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Data.Datasets;

/// <summary>One image's ground truth as the RPN trainer and evaluator use it (original pixels).</summary>
/// <param name="Boxes">Non-crowd boxes, XYXY (x, y, x + w, y + h) in the original image.</param>
/// <param name="Novel">Per box: whether its category is novel.</param>
/// <param name="Target">Per box: whether it is a training target (all boxes, or base ones with base_only).</param>
public sealed record RpnImageEntry(long Id, string Path, int Width, int Height, double[][] Boxes, bool[] Novel, bool[] Target);

/// <summary>A training view of an image: resized (and maybe mirrored) RGB uint8 [H, W, 3] and its target boxes [G, 4] in those pixels. Owns both.</summary>
public sealed record RpnSample(Tensor Image, Tensor Boxes) : IDisposable
{
    public void Dispose()
    {
        Image.Dispose();
        Boxes.Dispose();
    }
}

/// <summary>
/// The boxes of a COCO instances file for class-agnostic RPN training and proposal recall: crowd
/// boxes and boxes without area are left out; with <c>baseOnly</c> the novel categories' boxes are
/// not targets (their objects stay in the image, unlabelled — background to the RPN). Images without
/// any target box can be dropped, as detectron2's FILTER_EMPTY_ANNOTATIONS does.
/// </summary>
public sealed class RpnDataset
{
    private readonly RpnImageEntry[] _entries;

    private RpnDataset(string source, RpnImageEntry[] entries, int dropped)
    {
        Source = source;
        _entries = entries;
        DroppedImages = dropped;
    }

    public string Source { get; }
    public int Count => _entries.Length;
    public RpnImageEntry this[int index] => _entries[index];
    public IReadOnlyList<RpnImageEntry> Entries => _entries;
    /// <summary>Images of the file left out (no target box, or a novel object when those images are excluded).</summary>
    public int DroppedImages { get; }
    public int TargetBoxes => _entries.Sum(e => e.Target.Count(t => t));

    /// <param name="imageRoot">The folder the file names are relative to.</param>
    /// <param name="excludeNovelImages">Leave out images that show any novel object.</param>
    public static RpnDataset Load(string annotations, string imageRoot, CategorySplitFile? split, bool baseOnly, bool dropImagesWithoutTargets,
        bool excludeNovelImages = false)
    {
        if ((baseOnly || excludeNovelImages) && split is null)
            throw new ArgumentException($"base_only needs a category split (category_split.json) to tell base from novel categories for '{annotations}'");
        var coco = CocoDataset.Load(annotations);
        var entries = new List<RpnImageEntry>();
        int dropped = 0;
        foreach (var image in coco.Images)
        {
            var boxes = new List<double[]>();
            var novel = new List<bool>();
            foreach (var a in GroundTruthBoxes.Of(coco, image.Id))
            {
                boxes.Add([a.Bbox[0], a.Bbox[1], a.Bbox[0] + a.Bbox[2], a.Bbox[1] + a.Bbox[3]]);
                novel.Add(split?.IsNovel(a.CategoryId, coco.Category(a.CategoryId).Name) ?? false);
            }
            var target = novel.Select(n => !(baseOnly && n)).ToArray();
            if ((dropImagesWithoutTargets && !target.Any(t => t)) || (excludeNovelImages && novel.Any(n => n))) { dropped++; continue; }
            entries.Add(new RpnImageEntry(image.Id, System.IO.Path.GetFullPath(coco.ImageFile(image, imageRoot)),
                image.Width, image.Height, [.. boxes], [.. novel], target));
        }
        if (entries.Count == 0)
            throw new InvalidDataException($"'{annotations}' has no image with a {(baseOnly ? "base-category " : "")}box to train on ({dropped} image(s) without one)");
        return new RpnDataset(annotations, [.. entries], dropped);
    }

    /// <summary>
    /// Decodes image <paramref name="index"/>, resizes it as detectron2's ResizeShortestEdge (PIL
    /// bilinear) and mirrors it when asked; its target boxes follow (scaled in float64, mirrored
    /// x' = W − x, clipped to the image as detectron2's transform_instance_annotations), and boxes
    /// left without area (side ≤ 1e-5) are dropped as filter_empty_instances does.
    /// </summary>
    public RpnSample LoadSample(int index, int minSize, int maxSize, bool flip)
    {
        var e = _entries[index];
        using var scope = torch.NewDisposeScope();
        var rgb = ImageIO.Read(e.Path);
        int h = (int)rgb.size(0), w = (int)rgb.size(1);
        var resized = ClipPreprocess.ResizeShortestEdge(rgb, minSize, maxSize);
        int newH = (int)resized.size(0), newW = (int)resized.size(1);
        double sx = newW * 1.0 / w, sy = newH * 1.0 / h;
        var kept = new List<float>();
        for (int b = 0; b < e.Boxes.Length; b++)
        {
            if (e.Target[b]) ViewBoxes.TryAdd(e.Boxes[b], sx, sy, newW, newH, flip, kept);
        }
        var image = flip ? resized.flip(1) : resized;
        var boxes = torch.tensor(kept.ToArray(), kept.Count / 4, 4);
        return new RpnSample(image.contiguous().MoveToOuterScope(), boxes.MoveToOuterScope());
    }
}
