using System.Text.Json;
using RegionClip.Data;
using RegionClip.Data.Coco;
using RegionClip.Data.Datasets;
using RegionClip.Modeling.Clip;
using RegionClip.Text;
using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Evaluation;

/// <summary>Top-1 of one category over the evaluated images whose object is of that category.</summary>
public sealed record ClassAccuracy(string Name, bool Novel, int Images, int Correct)
{
    public double Top1 => Images == 0 ? double.NaN : (double)Correct / Images;
}

/// <summary>Zero-shot top-1 classification of a world split's single-object images.</summary>
public sealed record ZeroShotResult(int Images, int Correct, int BaseImages, int BaseCorrect, int NovelImages, int NovelCorrect, IReadOnlyList<ClassAccuracy> PerClass)
{
    public double Top1 => Images == 0 ? double.NaN : (double)Correct / Images;
    public double BaseTop1 => BaseImages == 0 ? double.NaN : (double)BaseCorrect / BaseImages;
    public double NovelTop1 => NovelImages == 0 ? double.NaN : (double)NovelCorrect / NovelImages;
}

/// <summary>
/// The teacher's zero-shot check: every image of a split flagged "single_object" (exactly one box)
/// is classified among all the world's category names, with RegionCLIP's concept embeddings (the
/// mean of 81 prompt embeddings, <see cref="TextEncoder.EncodeConcepts"/>) and cosine similarity,
/// as <see cref="ZeroShotClassifier"/> does; images are seen as in training (<see cref="ImageCaptionDataset.TeacherView"/>).
/// </summary>
public static class ZeroShotEvaluation
{
    public static ZeroShotResult Evaluate(ClipModel model, ClipTokenizer tokenizer, string worldDir, string split = "val",
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        var instancesPath = Path.Combine(worldDir, $"instances_{split}.json");
        if (!File.Exists(instancesPath)) throw new FileNotFoundException($"'{instancesPath}' does not exist: no {split} split to evaluate on", instancesPath);
        var dataset = CocoDataset.Load(instancesPath);
        var single = SingleObjectImages(instancesPath);
        var categorySplit = Split(worldDir);
        var classes = dataset.Categories.Select(c => c.Name).ToList();
        var classIndex = dataset.Categories.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);

        var files = new List<string>();
        var labels = new List<int>();
        foreach (var im in dataset.Images)
        {
            if (!single.Contains(im.Id)) continue;
            var boxes = dataset.AnnotationsOf(im.Id);
            if (boxes.Count != 1) continue;   // its object was removed as hidden, or the flag is wrong
            files.Add(dataset.ImageFile(im, worldDir));
            labels.Add(classIndex[boxes[0].CategoryId]);
        }
        var predicted = files.Count == 0 ? [] : Classify(model, tokenizer, classes, files, progress, cancel);

        var perClass = classes.Select(c => (images: 0, correct: 0)).ToArray();
        for (int i = 0; i < files.Count; i++)
        {
            perClass[labels[i]].images++;
            if (predicted[i] == labels[i]) perClass[labels[i]].correct++;
        }
        var rows = classes.Select((c, i) => new ClassAccuracy(c, categorySplit?.IsNovel(dataset.Categories[i].Id, c) ?? false, perClass[i].images, perClass[i].correct)).ToList();
        return new ZeroShotResult(
            rows.Sum(r => r.Images), rows.Sum(r => r.Correct),
            rows.Where(r => !r.Novel).Sum(r => r.Images), rows.Where(r => !r.Novel).Sum(r => r.Correct),
            rows.Where(r => r.Novel).Sum(r => r.Images), rows.Where(r => r.Novel).Sum(r => r.Correct),
            rows);
    }

    /// <summary>The index of the best class for each image file.</summary>
    public static int[] Classify(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<string> classes, IReadOnlyList<string> files,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.inference_mode();
        var concepts = F.normalize(new TextEncoder(model, tokenizer).EncodeConcepts(classes, cancel: cancel), dim: 1);
        var resolution = model.Config.ImageResolution;
        var predicted = new int[files.Count];
        const int batch = 256;
        for (int start = 0; start < files.Count; start += batch)
        {
            cancel.ThrowIfCancellationRequested();
            using var inner = torch.NewDisposeScope();
            var count = Math.Min(batch, files.Count - start);
            var pixels = ImageCaptionDataset.LoadPixels(files.Skip(start).Take(count).ToList(), resolution, cancel: cancel);
            var images = F.normalize(model.encode_image(ImageCaptionDataset.Normalize(pixels)), dim: 1);
            var best = images.matmul(concepts.t()).argmax(1).data<long>();
            for (int i = 0; i < count; i++) predicted[start + i] = (int)best[i];
            progress?.Report((start + count, files.Count));
        }
        return predicted;
    }

    /// <summary>Ids of the images flagged "single_object": true (the world's own field; COCO readers skip it).</summary>
    private static HashSet<long> SingleObjectImages(string instancesPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(instancesPath));
        var ids = new HashSet<long>();
        foreach (var im in doc.RootElement.GetProperty("images").EnumerateArray())
            if (im.TryGetProperty("single_object", out var flag) && flag.ValueKind == JsonValueKind.True)
                ids.Add(im.GetProperty("id").GetInt64());
        return ids;
    }

    /// <summary>The world's split (category_split.json); none when the file is absent.</summary>
    private static CategorySplitFile? Split(string worldDir)
    {
        var path = Path.Combine(worldDir, "category_split.json");
        return File.Exists(path) ? CategorySplitFile.Load(path) : null;
    }
}
