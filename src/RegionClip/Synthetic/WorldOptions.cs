namespace RegionClip.Synthetic;

/// <summary>Which categories a world's scenes show; the JSON always lists all of them and the split.</summary>
public enum WorldCategorySet
{
    All,
    /// <summary>Base categories only: a training world in which novel objects never appear, not even as background.</summary>
    Base,
    Novel,
}

/// <summary>What <see cref="WorldWriter"/> generates; every field has the demo's default.</summary>
public sealed record WorldOptions
{
    public int Images { get; init; } = 100;
    public ulong Seed { get; init; }
    /// <summary>"train" or "val": names the files and separates the random streams (same seed, different images).</summary>
    public string Split { get; init; } = "train";
    public int Width { get; init; } = 640;
    public int Height { get; init; } = 480;
    /// <summary>Fraction of images holding exactly one object (flagged "single_object" in the JSON); default 0.25 for val, 0 for train.</summary>
    public double? SingleObjectFraction { get; init; }
    public int CaptionsPerImage { get; init; } = 2;
    /// <summary>Fraction of images written as PNG; the rest are JPEG.</summary>
    public double PngFraction { get; init; } = 0.15;
    public int JpegQuality { get; init; } = 90;
    public int MinObjects { get; init; } = 2;
    public int MaxObjects { get; init; } = 7;
    public WorldCategorySet Categories { get; init; } = WorldCategorySet.All;
    /// <summary>Images rendered at once (default: all cores). Output does not depend on it.</summary>
    public int? Parallelism { get; init; }

    public double ResolvedSingleObjectFraction => SingleObjectFraction ?? (Split == "val" ? 0.25 : 0);

    public SceneOptions Scene => new(Width, Height, MinObjects, MaxObjects)
    {
        Categories = Categories switch
        {
            WorldCategorySet.All => null,
            WorldCategorySet.Base => Indices(c => !c.IsNovel),
            WorldCategorySet.Novel => Indices(c => c.IsNovel),
            _ => throw new ArgumentOutOfRangeException(nameof(Categories), Categories, "categories must be all, base or novel"),
        },
    };

    private static int[] Indices(Func<Category, bool> keep) =>
        Enumerable.Range(0, WorldCategories.All.Count).Where(i => keep(WorldCategories.All[i])).ToArray();

    internal void Validate()
    {
        if (Images < 1 || Images > 10_000_000) throw new ArgumentOutOfRangeException(nameof(Images), Images, "--images must be between 1 and 10,000,000");
        if (Split is not ("train" or "val")) throw new ArgumentException($"--split must be 'train' or 'val', got '{Split}'", nameof(Split));
        if (ResolvedSingleObjectFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(SingleObjectFraction), SingleObjectFraction, "the single-object fraction must be in [0, 1]");
        if (PngFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(PngFraction), PngFraction, "the PNG fraction must be in [0, 1]");
        if (CaptionsPerImage is < 1 or > 20) throw new ArgumentOutOfRangeException(nameof(CaptionsPerImage), CaptionsPerImage, "captions per image must be between 1 and 20");
        if (JpegQuality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(JpegQuality), JpegQuality, "JPEG quality must be in 1..100");
        if (Parallelism is < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "parallelism must be at least 1");
        Scene.Validate();
    }
}
