using System.Diagnostics;
using System.Text.Json;
using RegionClip.Common;
using RegionClip.Torch;
using RegionClip.Torch.Vision;

namespace RegionClip.Synthetic;

/// <summary>What a <see cref="WorldWriter.Write"/> call produced.</summary>
public sealed record WorldSummary(
    string Directory, string Split, int Images, int SingleObjectImages, int PngImages, int Annotations, int Captions, int RemovedObjects,
    string InstancesPath, string CaptionsPath, string CategorySplitPath, string VocabularyPath, double Seconds)
{
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : double.PositiveInfinity;
}

/// <summary>
/// Writes a synthetic world: images under DIR/&lt;split&gt;/ (JPEG and PNG), COCO instances and
/// captions JSON (DIR/instances_&lt;split&gt;.json, DIR/captions_&lt;split&gt;.json), the base/novel
/// split (DIR/category_split.json) and the BPE merges (DIR/bpe_world.txt). Each image has its own
/// random stream derived from (seed, split, index), so the bytes depend on nothing else — not on
/// thread count or timing.
/// </summary>
public static class WorldWriter
{
    public const string CategorySplitFile = "category_split.json";

    private sealed record ImageResult(string FileName, bool SingleObject, bool Png, IReadOnlyList<ObjectAnnotation> Annotations, string[] Captions, int Removed);

    public static WorldSummary Write(string directory, WorldOptions options, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!image.codecs_available) throw new NotSupportedException("the native library was built without libjpeg/libpng, so the synthetic world's images cannot be written");
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(Path.Combine(root, options.Split));

        var results = new ImageResult[options.Images];
        int done = 0;
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism ?? Environment.ProcessorCount, CancellationToken = cancellation };
        Parallel.For(0, options.Images, parallel, i =>
        {
            results[i] = MakeImage(root, options, i);
            lock (gate) progress?.Report(++done); // in order, so a bar never steps back
        });

        var instancesPath = Path.Combine(root, $"instances_{options.Split}.json");
        var captionsPath = Path.Combine(root, $"captions_{options.Split}.json");
        var splitPath = Path.Combine(root, CategorySplitFile);
        var vocabPath = Path.Combine(root, WorldVocabulary.FileName);
        WriteAtomically(instancesPath, w => CocoJson.WriteInstances(w, options, results.Select(r => (r.FileName, r.SingleObject, r.Annotations)).ToArray()));
        WriteAtomically(captionsPath, w => CocoJson.WriteCaptions(w, options, results.Select(r => (r.FileName, r.SingleObject, r.Captions)).ToArray()));
        WriteAtomically(splitPath, CocoJson.WriteCategorySplit);
        WorldVocabulary.Merges.WriteMergesFile(vocabPath);

        return new WorldSummary(root, options.Split, options.Images, results.Count(r => r.SingleObject), results.Count(r => r.Png),
            results.Sum(r => r.Annotations.Count), results.Sum(r => r.Captions.Length), results.Sum(r => r.Removed),
            instancesPath, captionsPath, splitPath, vocabPath, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The scene of image <paramref name="index"/> (0-based) of a world, and whether it is a single-object image.</summary>
    public static (Scene Scene, bool SingleObject, bool Png) SceneOf(WorldOptions options, int index)
    {
        var rng = Prng.ForStream(options.Seed, "scene/" + options.Split, index);
        bool single = rng.Chance(options.ResolvedSingleObjectFraction);
        bool png = rng.Chance(options.PngFraction);
        return (SceneGenerator.Sample(rng, options.Scene, single), single, png);
    }

    private static ImageResult MakeImage(string root, WorldOptions options, int index)
    {
        var (scene, single, png) = SceneOf(options, index);
        var rendered = SceneRenderer.Render(scene);
        var fileName = $"{options.Split}/{index + 1:D6}.{(png ? "png" : "jpg")}";
        byte[] encoded;
        using (var pixels = torch.tensor(rendered.Pixels, scene.Height, scene.Width, 3))
            encoded = png ? image.encode_png(pixels) : image.encode_jpeg(pixels, options.JpegQuality);
        File.WriteAllBytes(Path.Combine(root, fileName), encoded);

        var captionRng = Prng.ForStream(options.Seed, "caption/" + options.Split, index);
        var captions = new string[options.CaptionsPerImage];
        for (int c = 0; c < captions.Length; c++) captions[c] = CaptionWriter.Write(rendered.Annotations, scene.Width, captionRng);
        return new ImageResult(fileName, single, png, rendered.Annotations, captions, rendered.Removed.Count);
    }

    private static void WriteAtomically(string path, Action<Utf8JsonWriter> write)
    {
        AtomicFile.Write(path, file =>
        {
            using var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = false });
            write(writer);
        });
    }
}
