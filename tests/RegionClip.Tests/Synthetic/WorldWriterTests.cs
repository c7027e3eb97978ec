using System.Text.Json;
using RegionClip.Synthetic;
using RegionClip.Text;
using RegionClip.Torch.Vision;

namespace RegionClip.Tests.Synthetic;

/// <summary>Whole worlds on disk: determinism, COCO structure, captions against boxes, the files' pixels.</summary>
public sealed class WorldWriterTests : TorchTest
{
    private static WorldOptions Small(ulong seed, string split = "train") =>
        new() { Images = 8, Seed = seed, Split = split, Width = 96, Height = 72, Parallelism = 2 };

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public void TheSameSeedGivesIdenticalFilesAndAnotherSeedDifferentOnes()
    {
        using var a = Paths.TempDir();
        using var b = Paths.TempDir();
        using var c = Paths.TempDir();
        WorldWriter.Write(a.FullName, Small(5));
        WorldWriter.Write(b.FullName, Small(5) with { Parallelism = 1 });
        WorldWriter.Write(c.FullName, Small(6));
        var (fa, fb, fc) = (Files(a.FullName), Files(b.FullName), Files(c.FullName));
        Assert.Equal(fa.Keys.Order(), fb.Keys.Order());
        foreach (var (name, bytes) in fa) Assert.True(bytes.AsSpan().SequenceEqual(fb[name]), $"{name} differs between runs with one seed");
        Assert.False(fa["instances_train.json"].AsSpan().SequenceEqual(fc["instances_train.json"]));
        Assert.False(fa["captions_train.json"].AsSpan().SequenceEqual(fc["captions_train.json"]));
        var images = fa.Keys.Where(k => k.StartsWith("train", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, images.Count);
        Assert.All(images.Where(fc.ContainsKey), k => Assert.False(fa[k].AsSpan().SequenceEqual(fc[k]), $"{k} is the same for seeds 5 and 6"));
        // The split and the vocabulary are the world's, not the seed's.
        Assert.Equal(fa["category_split.json"], fc["category_split.json"]);
        Assert.Equal(fa["bpe_world.txt"], fc["bpe_world.txt"]);
    }

    [Fact]
    public void WritesCocoInstancesCaptionsSplitAndVocabulary()
    {
        using var dir = Paths.TempDir();
        var options = Small(9, "val") with { Images = 10, SingleObjectFraction = 0.4, PngFraction = 0.5, CaptionsPerImage = 3 };
        var summary = WorldWriter.Write(dir.FullName, options);

        using var instances = JsonDocument.Parse(File.ReadAllBytes(dir.File("instances_val.json")));
        using var captions = JsonDocument.Parse(File.ReadAllBytes(dir.File("captions_val.json")));
        var root = instances.RootElement;
        var images = root.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 10), images.Select(i => i.GetProperty("id").GetInt32()));
        var categories = root.GetProperty("categories").EnumerateArray().ToList();
        Assert.Equal(WorldCategories.All.Select(c => c.Id), categories.Select(c => c.GetProperty("id").GetInt32()));
        Assert.Equal(WorldCategories.All.Select(c => c.Name), categories.Select(c => c.GetProperty("name").GetString()));

        var boxes = root.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(summary.Annotations, boxes.Count);
        Assert.Equal(Enumerable.Range(1, boxes.Count), boxes.Select(a => a.GetProperty("id").GetInt32()));
        var byImage = boxes.ToLookup(a => a.GetProperty("image_id").GetInt32());
        foreach (var a in boxes)
        {
            var box = a.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.True(box[0] >= 0 && box[1] >= 0 && box[2] >= 1 && box[3] >= 1 && box[0] + box[2] <= 96 && box[1] + box[3] <= 72, $"bbox [{string.Join(", ", box)}]");
            Assert.InRange(a.GetProperty("area").GetDouble(), SceneRenderer.MinVisiblePixels, box[2] * box[3]);
            Assert.Equal(0, a.GetProperty("iscrowd").GetInt32());
            Assert.InRange(a.GetProperty("category_id").GetInt32(), 1, WorldCategories.All.Count);
        }

        int singles = 0, pngs = 0;
        foreach (var img in images)
        {
            var id = img.GetProperty("id").GetInt32();
            var file = img.GetProperty("file_name").GetString()!;
            var bytes = File.ReadAllBytes(dir.File(file));
            var format = image.sniff(bytes);
            Assert.Equal(file.EndsWith(".png", StringComparison.Ordinal) ? ImageFormat.Png : ImageFormat.Jpeg, format);
            pngs += format == ImageFormat.Png ? 1 : 0;
            if (img.GetProperty("single_object").GetBoolean())
            {
                singles++;
                Assert.Single(byImage[id]);
            }
            // Captions against the image's boxes.
            var visible = byImage[id].Select((a, k) => new ObjectAnnotation(k, a.GetProperty("category_id").GetInt32() - 1, 0, 0, 1, 1, 1, 1)).ToList();
            var texts = captions.RootElement.GetProperty("annotations").EnumerateArray()
                .Where(c => c.GetProperty("image_id").GetInt32() == id).Select(c => c.GetProperty("caption").GetString()!).ToList();
            Assert.Equal(3, texts.Count);
            foreach (var t in texts) CaptionMentions.AssertTruthful(t, visible);
        }
        Assert.Equal((summary.SingleObjectImages, summary.PngImages), (singles, pngs));
        Assert.True(singles > 0 && pngs > 0 && pngs < 10);

        using var split = JsonDocument.Parse(File.ReadAllBytes(dir.File("category_split.json")));
        var baseNames = split.RootElement.GetProperty("base").EnumerateArray().Select(e => e.GetString()!).ToList();
        var novelNames = split.RootElement.GetProperty("novel").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(WorldCategories.All.Select(c => c.Name).Order(), baseNames.Concat(novelNames).Order());
        Assert.Equal(2 * novelNames.Count, baseNames.Count);

        var tok = ClipTokenizer.Load(dir.File("bpe_world.txt"));
        Assert.Equal(WorldVocabulary.Merges.Pairs.Count + 514, tok.VocabularyCount);
    }

    [Fact]
    public void ThePngFilesHoldExactlyTheRenderedScene()
    {
        using var dir = Paths.TempDir();
        var options = Small(2) with { PngFraction = 1, Images = 3 };
        WorldWriter.Write(dir.FullName, options);
        for (int i = 0; i < 3; i++)
        {
            var rendered = SceneRenderer.Render(WorldWriter.SceneOf(options, i).Scene);
            using var decoded = image.read(dir.File($"train/{i + 1:D6}.png"));
            Assert.Equal([72L, 96, 3], decoded.shape);
            Assert.Equal(rendered.Pixels, decoded.data<byte>());
        }
    }

    [Theory]
    [InlineData(WorldCategorySet.Base)]
    [InlineData(WorldCategorySet.Novel)]
    public void ARestrictedWorldDrawsOnlyItsCategoriesAndStillListsThemAll(WorldCategorySet set)
    {
        using var dir = Paths.TempDir();
        WorldWriter.Write(dir.FullName, Small(3) with { Images = 30, Categories = set });
        using var instances = JsonDocument.Parse(File.ReadAllBytes(dir.File("instances_train.json")));
        var root = instances.RootElement;
        Assert.Equal(WorldCategories.All.Count, root.GetProperty("categories").GetArrayLength());
        Assert.Equal(set.ToString().ToLowerInvariant(), root.GetProperty("info").GetProperty("categories_drawn").GetString());
        var wanted = (set == WorldCategorySet.Novel ? WorldCategories.Novel : WorldCategories.Base).Select(c => c.Id).ToHashSet();
        var drawn = root.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("category_id").GetInt32()).ToHashSet();
        Assert.True(drawn.Count > wanted.Count / 2, $"30 images should show most of the {wanted.Count} categories, got {drawn.Count}");
        Assert.Subset(wanted, drawn);
    }

    [Fact]
    public void BadOptionsAreRefusedWithTheirNames()
    {
        using var dir = Paths.TempDir();
        Assert.Contains("--images", Assert.Throws<ArgumentOutOfRangeException>(() => WorldWriter.Write(dir.FullName, Small(1) with { Images = 0 })).Message);
        Assert.Contains("--split", Assert.Throws<ArgumentException>(() => WorldWriter.Write(dir.FullName, Small(1) with { Split = "test" })).Message);
        Assert.Contains("image size", Assert.Throws<ArgumentOutOfRangeException>(() => WorldWriter.Write(dir.FullName, Small(1) with { Width = 8 })).Message);
    }
}
