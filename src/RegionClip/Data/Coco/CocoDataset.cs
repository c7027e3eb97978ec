namespace RegionClip.Data.Coco;

/// <summary>
/// A COCO or LVIS v1 instances file: images, categories (file order) and box annotations, validated on load.
/// Read by streaming (segmentations are skipped, never materialised), so the 1 GB LVIS train file needs memory
/// only for the records themselves.
/// </summary>
public sealed class CocoDataset
{
    private readonly Dictionary<long, int> _imageIndex;
    private readonly Dictionary<long, int> _categoryIndex;
    private readonly CocoAnnotation[][] _byImage;
    private readonly long[]?[] _negativeCategoryIds;
    private readonly long[]?[] _notExhaustiveCategoryIds;

    internal CocoDataset(string path, CocoImage[] images, CocoCategory[] categories, CocoAnnotation[] annotations,
        long[]?[] negativeCategoryIds, long[]?[] notExhaustiveCategoryIds,
        Dictionary<long, int> imageIndex, Dictionary<long, int> categoryIndex)
    {
        Path = path;
        Images = images;
        Categories = categories;
        Annotations = annotations;
        _negativeCategoryIds = negativeCategoryIds;
        _notExhaustiveCategoryIds = notExhaustiveCategoryIds;
        _imageIndex = imageIndex;
        _categoryIndex = categoryIndex;
        _byImage = GroupByImage(images.Length, annotations, imageIndex);
    }

    /// <summary>Reads and validates an instances file (COCO or LVIS v1). Errors name the file, the record and the field.</summary>
    public static CocoDataset Load(string path) => CocoDatasetReader.Read(path);

    /// <summary>The same dataset restricted to the images <paramref name="imageIds"/> (with their annotations; every category stays).</summary>
    public CocoDataset Subset(IReadOnlySet<long> imageIds)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        var images = Images.Where(i => imageIds.Contains(i.Id)).ToArray();
        var rows = images.Select(i => ImageIndex(i.Id)).ToArray();
        var imageIndex = images.Select((image, k) => (image.Id, k)).ToDictionary(p => p.Id, p => p.k);
        return new CocoDataset(Path, images, [.. Categories], [.. Annotations.Where(a => imageIds.Contains(a.ImageId))],
            [.. rows.Select(r => _negativeCategoryIds[r])], [.. rows.Select(r => _notExhaustiveCategoryIds[r])], imageIndex, new(_categoryIndex));
    }

    public string Path { get; }
    public IReadOnlyList<CocoImage> Images { get; }
    public IReadOnlyList<CocoCategory> Categories { get; }
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    /// <summary>True when every category carries an LVIS frequency and the images carry neg_category_ids (an LVIS v1 file).</summary>
    public bool IsLvis => Categories.Count > 0 && Categories.All(c => c.Frequency != null)
                          && _negativeCategoryIds.Length > 0 && _negativeCategoryIds.All(n => n != null);

    /// <summary>The annotations of one image, in file order.</summary>
    public IReadOnlyList<CocoAnnotation> AnnotationsOf(long imageId) => _byImage[ImageIndex(imageId)];

    public CocoImage Image(long id) => Images[ImageIndex(id)];

    /// <summary>The image's file under <paramref name="root"/>; fails, naming the record, when the JSON gives no file name.</summary>
    public string ImageFile(CocoImage image, string root)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.FileName is null)
            throw new InvalidDataException($"{System.IO.Path.GetFileName(Path)}: images (id {image.Id}): no \"file_name\" (nor \"coco_url\"), so the image file cannot be found; evaluation does not need it, reading the image does");
        return System.IO.Path.Combine(root, image.FileName);
    }

    public CocoCategory Category(long id) =>
        _categoryIndex.TryGetValue(id, out int i) ? Categories[i] : throw new KeyNotFoundException($"{Path}: no category with id {id}");

    public bool HasImage(long id) => _imageIndex.ContainsKey(id);
    public bool HasCategory(long id) => _categoryIndex.ContainsKey(id);

    /// <summary>LVIS: categories verified absent from the image (null when the file has no neg_category_ids for it).</summary>
    public IReadOnlyList<long>? NegativeCategoryIds(long imageId) => _negativeCategoryIds[ImageIndex(imageId)];

    /// <summary>LVIS: categories present but not exhaustively annotated in the image (null when the file has none for it).</summary>
    public IReadOnlyList<long>? NotExhaustiveCategoryIds(long imageId) => _notExhaustiveCategoryIds[ImageIndex(imageId)];

    private int ImageIndex(long id) =>
        _imageIndex.TryGetValue(id, out int i) ? i : throw new KeyNotFoundException($"{Path}: no image with id {id}");

    private static CocoAnnotation[][] GroupByImage(int imageCount, CocoAnnotation[] annotations, Dictionary<long, int> imageIndex)
    {
        var counts = new int[imageCount];
        var owner = new int[annotations.Length];
        for (int a = 0; a < annotations.Length; a++) counts[owner[a] = imageIndex[annotations[a].ImageId]]++;
        var groups = new CocoAnnotation[imageCount][];
        for (int i = 0; i < imageCount; i++) groups[i] = counts[i] == 0 ? [] : new CocoAnnotation[counts[i]];
        Array.Clear(counts);
        for (int a = 0; a < annotations.Length; a++) groups[owner[a]][counts[owner[a]]++] = annotations[a];
        return groups;
    }
}
