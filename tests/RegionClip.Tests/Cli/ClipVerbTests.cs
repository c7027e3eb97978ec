using RegionClip.Modeling.Clip;
using RegionClip.Text;
using RegionClip.Torch.Serialization;

namespace RegionClip.Tests.Cli;

/// <summary>embed-image and classify on the test checkpoint.</summary>
public sealed class ClipVerbTests : TorchTest
{
    private static readonly string[] Images = [Paths.Fixture("images", "clip_odd.png"), Paths.Fixture("images", "rgb.jpg")];

    [Fact]
    public void EmbedImageMatchesOpenAiPreprocessingAndModelEndToEnd()
    {
        using var dir = Paths.TempDir();
        var outFile = dir.File("img.json");
        var (code, _, stderr) = CliRunner.Run(["embed-image", "--model", Paths.Fixture("clip", "tiny_clip_fp32.pth"), "--out", outFile, .. Images]);
        Assert.True(code == 0, stderr);
        var got = CliRunner.Json(File.ReadAllText(outFile)).GetProperty("embeddings").EnumerateArray()
            .SelectMany(r => r.EnumerateArray().Select(v => (double)v.GetSingle())).ToArray();
        using var scope = torch.NewDisposeScope();
        var io = Checkpoint.LoadStateDict(Paths.Fixture("clip", "tiny_clip_io.pt"));
        foreach (var t in io.Values) scope.Include(t);
        var expected = io["file_image_emb"].to(ScalarType.Float64).data<double>();
        // PIL preprocessing is reproduced exactly; the network agrees to float32 accumulation order.
        var err = Math.Sqrt(expected.Zip(got).Sum(p => (p.First - p.Second) * (p.First - p.Second))) / Math.Sqrt(expected.Sum(v => v * v));
        Assert.True(err <= 1e-5, $"relative error {err:E3} vs PyTorch (PIL preprocessing + official architecture)");
    }

    [SkippableFact]
    public void ClassifyGivesAProbabilityPerClass()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        var ckpt = TestCheckpoints.FullVocabularyTinyClip(dir.FullName);
        var (code, stdout, stderr) = CliRunner.Run(["classify", "--model", ckpt, "--vocab", vocab, "--classes", "cat, dog,teddy bear", .. Images]);
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(["cat", "dog", "teddy bear"], json.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        foreach (var r in json.GetProperty("results").EnumerateArray())
        {
            var probs = r.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(3, probs.Count);
            Assert.InRange(probs.Values.Sum(), 1 - 1e-5, 1 + 1e-5);
            Assert.Equal(probs.MaxBy(p => p.Value).Key, r.GetProperty("top").GetString());
        }

        (code, _, stderr) = CliRunner.Run(["classify", "--model", ckpt, "--vocab", vocab, "--classes", "cat,cat", Images[0]]);
        Assert.Equal(1, code);
        Assert.Contains("listed twice", stderr);
        (code, _, stderr) = CliRunner.Run(["classify", "--model", ckpt, "--vocab", vocab, "--classes", "cat", Paths.Fixture("images", "not_an_image.jpg")]);
        Assert.Equal(1, code);
        Assert.Contains("not_an_image.jpg", stderr);
    }

    [SkippableFact]
    public void ConceptEmbeddingIsTheMeanOfThe81UnnormalisedPromptEmbeddings()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        using var model = ClipModel.Load(TestCheckpoints.FullVocabularyTinyClip(dir.FullName));
        var encoder = new TextEncoder(model, ClipTokenizer.Load(vocab));
        using var scope = torch.NewDisposeScope();
        var concepts = encoder.EncodeConcepts(["arctic_(type_of_shoe)", "dog"]);
        Assert.Equal([2L, 32L], concepts.shape);
        var prompts = PromptTemplates.Fill("arctic_(type_of_shoe)").ToList();
        Assert.Equal(81, prompts.Count);
        Assert.Equal("a photo of a arctic type of shoe.", prompts[1]);
        var manual = encoder.Encode(prompts, Truncation.Cut).mean(0);
        var err = (manual - concepts[0]).abs().max().item<float>();
        Assert.True(err <= 1e-6, $"max abs error {err:E3}");
    }
}
