using RegionClip.Checkpoints;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Text;
using RegionClip.Torch.Serialization;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Tests.Detection;

/// <summary>Defined results or clear errors for the awkward inputs of region recognition.</summary>
public sealed class RegionEdgeCaseTests : TorchTest
{
    private static readonly string ImagePath = Paths.Fixture("images", "clip_big.jpg");   // 160 × 120
    private static readonly DetectionResize Small = new(96, 160);

    private static RegionClipModel TinyModel() => RegionClipModel.Load(Paths.Fixture("clip", "tiny_clip_fp32.pth"));

    [Fact]
    public void AnEmptyBoxListGivesZeroRows()
    {
        using var model = TinyModel();
        using var image = DetectionImage.Load(ImagePath, Small);
        using var none = torch.zeros(0, 4);
        using var features = model.ExtractRegionFeatures(image, none);
        Assert.Equal(new long[] { 0, 32 }, features.shape);
    }

    [Fact]
    public void EmptyAndNonEmptyImagesMixInOneBatch()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        using var a = DetectionImage.Load(ImagePath, Small);
        using var b = DetectionImage.Load(ImagePath, Small);
        var features = model.ExtractRegionFeatures([a, b], [torch.zeros(0, 4), Box.ToTensor([new Box(10, 10, 50, 60)])]);
        Assert.Equal(0, features[0].size(0));
        Assert.Equal(1, features[1].size(0));
    }

    [Theory]
    [InlineData(200, 10, 250, 50, "no area inside the 160×120 image")]
    [InlineData(50, 10, 40, 50, "x2 < x1")]
    [InlineData(float.NaN, 10, 40, 50, "non-finite")]
    public void BadBoxesAreRefusedNamingTheBox(float x1, float y1, float x2, float y2, string expected)
    {
        using var model = TinyModel();
        using var image = DetectionImage.Load(ImagePath, Small);
        using var boxes = Box.ToTensor([new Box(0, 0, 10, 10), new Box(x1, y1, x2, y2)]);
        var e = Assert.Throws<ArgumentException>(() => model.ExtractRegionFeatures(image, boxes));
        Assert.Contains("box #1", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("clip_big.jpg", e.Message);
    }

    [Fact]
    public void RegionBatchesAreSizedForTheCachesAndDoNotChangeTheFeatures()
    {
        using var model = TinyModel();
        // 32 MiB of RoIAlign output: RN50's regions are 1024 × 14² floats, RN50x4's 1280 × 18²; the tiny tower's are capped.
        Assert.Equal(41, RegionClipModel.DefaultRegionBatchSize(new ClipConfig(1024, 224, [3, 4, 6, 3], 64, 77, 49408, 512, 8, 12)));
        Assert.Equal(20, RegionClipModel.DefaultRegionBatchSize(new ClipConfig(640, 288, [4, 6, 10, 6], 80, 77, 49408, 640, 10, 12)));
        Assert.Equal(512, model.RegionBatchSize);
        using var scope = torch.NewDisposeScope();
        using var image = DetectionImage.Load(ImagePath, Small);
        var boxes = Box.ToTensor([.. Enumerable.Range(0, 7).Select(i => new Box(3 * i, 2 * i, 60 + 10 * i, 50 + 9 * i))]);
        var whole = model.ExtractRegionFeatures(image, boxes);
        model.RegionBatchSize = 3;   // batches of 3, 3 and 1
        var batched = model.ExtractRegionFeatures(image, boxes);
        Assert.True(batched.allclose(whole, 1e-5, 1e-6));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.RegionBatchSize = 0);
    }

    [Fact]
    public void Bfloat16RegionFeaturesAreFloat32TensorsCloseToFloat32sOrTheCpuIsNamed()
    {
        using var model = TinyModel();
        if (BFloat16Support.WhyNot is { } why)
        {
            var e = Assert.Throws<NotSupportedException>(() => model.Precision = InferencePrecision.BFloat16);
            Assert.Contains(why, e.Message);
            return;
        }
        using var scope = torch.NewDisposeScope();
        using var image = DetectionImage.Load(ImagePath, Small);
        var boxes = Box.ToTensor([new Box(0, 0, 100, 120), new Box(20, 30, 60, 90), new Box(5, 5, 40, 30)]);
        var f32 = model.ExtractRegionFeatures(image, boxes);
        model.Precision = InferencePrecision.BFloat16;
        var bf16 = model.ExtractRegionFeatures(image, boxes);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        var cosine = (F.normalize(f32, dim: 1) * F.normalize(bf16, dim: 1)).sum(1);
        Assert.True(cosine.min().item<float>() > 0.999f, $"cosine to float32 {cosine.min().item<float>()}");
        Assert.False(bf16.allclose(f32, 0, 0));   // bfloat16 convolutions really ran
    }

    [Fact]
    public void APartlyOutsideBoxIsTheClippedBox()
    {
        using var model = TinyModel();
        using var scope = torch.NewDisposeScope();
        using var image = DetectionImage.Load(ImagePath, Small);
        var outside = model.ExtractRegionFeatures(image, Box.ToTensor([new Box(-30, -40, 100, 500)]));
        var clipped = model.ExtractRegionFeatures(image, Box.ToTensor([new Box(0, 0, 100, 120)]));
        Assert.True(outside.allclose(clipped, 0, 0));
    }

    [Fact]
    public void AnEmptyVocabularyIsAnError()
    {
        Assert.Throws<ArgumentException>(() => ConceptPool.ValidateNames([]));
        using var regions = torch.randn(3, 32);
        using var none = torch.zeros(0, 32);
        var e = Assert.Throws<ArgumentException>(() => RegionClassifier.Logits(regions, none));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void MismatchedEmbeddingSizesAreNamed()
    {
        using var regions = torch.randn(3, 32);
        using var concepts = torch.randn(5, 640);
        var e = Assert.Throws<ArgumentException>(() => RegionClassifier.Logits(regions, concepts));
        Assert.Contains("[5, 640]", e.Message);
    }

    [Fact]
    public void BackgroundIsTheLastColumnWithLogitZero()
    {
        using var scope = torch.NewDisposeScope();
        var regions = torch.randn(4, 8);
        var concepts = torch.randn(3, 8);
        var logits = RegionClassifier.Logits(regions, concepts);
        Assert.Equal(new long[] { 4, 4 }, logits.shape);
        Assert.Equal(0f, logits[.., 3].abs().max().item<float>());
        // cosine / 0.01, whatever the embeddings' norms
        var scaled = RegionClassifier.Logits(regions * 7, concepts * 0.1);
        Assert.True(logits.allclose(scaled, 1e-5, 1e-4));
        Assert.True(logits.abs().max().item<float>() <= 100.0001f);
    }

    [Fact]
    public void AVisualOnlyCheckpointExtractsRegionsButCannotEmbedNames()
    {
        using var dir = Paths.TempDir();
        var path = Path.Combine(dir.FullName, "finetuned-visual-only.pth");
        using (var scope = torch.NewDisposeScope())
        {
            var state = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_fp32.pth"));
            foreach (var t in state.Values) scope.Include(t);
            var visual = new OrderedDictionary<string, Tensor>();
            foreach (var (k, v) in state)
                if (k.StartsWith("visual.", StringComparison.Ordinal)) visual["backbone." + k["visual.".Length..]] = v;
            visual["roi_heads.box_predictor.bbox_pred.weight"] = torch.zeros(4, 32);
            Checkpoint.SaveStateDict(visual, path, wrapInModel: true);
        }
        using var model = RegionClipModel.Load(path);
        Assert.False(model.HasTextTower);
        using var image = DetectionImage.Load(ImagePath, Small);
        using var boxes = Box.ToTensor([new Box(10, 10, 80, 90)]);
        using var features = model.ExtractRegionFeatures(image, boxes);
        Assert.Equal(32, features.size(1));
        var e = Assert.Throws<InvalidOperationException>(() => model.Clip);
        Assert.Contains("--concepts", e.Message);
    }

    [Fact]
    public void ConceptPoolsSaveAsOfficialEmbeddingFilesWithNamesBeside()
    {
        using var dir = Paths.TempDir();
        var path = Path.Combine(dir.FullName, "my_emb.pth");
        using (var pool = ConceptPool.FromEmbeddings(torch.randn(3, 32), ["cat", "dog", "hot dog"]))
            pool.Save(path);
        Assert.Equal(CheckpointKind.TorchSave, Checkpoint.Identify(path));
        using (var bare = ConceptEmbeddingFile.Load(path)) Assert.Equal(new long[] { 3, 32 }, bare.shape);
        Assert.Equal(["cat", "dog", "hot dog"], File.ReadAllLines(Path.Combine(dir.FullName, "my_emb.names.txt")));
        using var loaded = ConceptPool.Load(path);
        Assert.Equal(["cat", "dog", "hot dog"], loaded.Names);
        File.Delete(Path.Combine(dir.FullName, "my_emb.names.txt"));
        using var unnamed = ConceptPool.Load(path);
        Assert.Equal("concept_2", unnamed.Names[2]);
    }

    [SkippableFact]
    public void TheConceptCacheIsKeyedByModelAndNames()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        using var model = RegionClipModel.Load(Cli.TestCheckpoints.FullVocabularyTinyClip(dir.FullName));
        var tokenizer = ClipTokenizer.Load(vocab);
        var cache = new ConceptCache(Path.Combine(dir.FullName, "cache"));
        using var first = ConceptPool.Create(model.Clip, tokenizer, ["cat", "dog"], cache: cache);
        var entry = cache.PathOf(model.Clip, ["cat", "dog"]);
        Assert.True(File.Exists(entry));
        Assert.NotEqual(entry, cache.PathOf(model.Clip, ["dog", "cat"]));
        // Prove the second request reads the entry: plant a marker tensor there.
        using (var marker = torch.full([2, 32], 7.0)) ConceptEmbeddingFile.Save(marker, entry);
        using var second = ConceptPool.Create(model.Clip, tokenizer, ["cat", "dog"], cache: cache);
        using (var planted = second.Embeddings[0, 0]) Assert.Equal(7f, planted.item<float>());
        using var fresh = ConceptPool.Create(model.Clip, tokenizer, ["cat", "dog"]);
        Assert.True(first.Embeddings.allclose(fresh.Embeddings, 0, 0));
    }
}
