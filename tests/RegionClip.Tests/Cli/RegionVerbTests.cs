using System.Text.Json;
using RegionClip.Checkpoints;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Tests.Data;
using RegionClip.Tests.Detection;

namespace RegionClip.Tests.Cli;

/// <summary>extract-concepts, extract-regions and detect (given boxes, GT boxes) on the tiny checkpoint.</summary>
public sealed class RegionVerbTests : TorchTest
{
    private static readonly string Model = Paths.Fixture("clip", "tiny_clip_fp32.pth");
    private readonly RegionReference _ref;

    public RegionVerbTests() => _ref = new RegionReference();

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    /// <summary>extract-regions on the reference's first image and boxes at its test size, with <paramref name="extra"/> options.</summary>
    private (int Code, string Stdout, string Stderr) ExtractRegionsOfCase0(TempDir dir, params string[] extra)
    {
        var c = _ref.Cases[0];
        var boxes = dir.WriteJson("boxes.json", c.Boxes);
        return CliRunner.Run(["extract-regions", "--model", Model, "--image", c.Path, "--boxes", boxes, "--min-size", "96", "--max-size", "160", .. extra]);
    }

    [Fact]
    public void ExtractRegionsWritesEmbeddingsAndProbabilitiesPerBox()
    {
        using var dir = Paths.TempDir();
        var c = _ref.Cases[0];
        var (code, stdout, stderr) = ExtractRegionsOfCase0(dir, "--concepts", _ref.SaveConcepts(dir));
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(_ref.Names, json.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!));
        var regions = json.GetProperty("regions").EnumerateArray().ToList();
        Assert.Equal(c.Boxes.Length, regions.Count);
        var embeddings = regions.SelectMany(r => r.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())).ToArray();
        using var got = torch.tensor(embeddings, regions.Count, 32);
        Assert.True(RegionReference.RelativeError(_ref["emb0"], got) <= 1e-4);
        var expectedProbs = _ref["probs0"].data<float>();
        for (int i = 0; i < regions.Count; i++)
        {
            var probs = regions[i].GetProperty("probs").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(_ref.Names.Count + 1, probs.Length);   // background last
            for (int k = 0; k < probs.Length; k++) Assert.True(Math.Abs(probs[k] - expectedProbs[i * probs.Length + k]) < 1e-4);
            var top = Array.IndexOf(probs, probs[..^1].Max());
            Assert.Equal(_ref.Names[top], regions[i].GetProperty("top").GetString());
        }
    }

    [Fact]
    public void ExtractRegionsWithoutVocabularyGivesOnlyEmbeddings()
    {
        using var dir = Paths.TempDir();
        var boxes = dir.WriteJson("boxes.json", new[] { new[] { 1, 2, 30, 40 } });
        var (code, stdout, stderr) = CliRunner.Run(["extract-regions", "--model", Model, "--image", _ref.Cases[0].Path, "--boxes", boxes]);
        Assert.True(code == 0, stderr);
        var region = CliRunner.Json(stdout).GetProperty("regions")[0];
        Assert.Equal(32, region.GetProperty("embedding").GetArrayLength());
        Assert.False(region.TryGetProperty("probs", out _));
    }

    [Fact]
    public void ExtractRegionsInBfloat16AgreesWithTheReferenceToBfloat16sPrecisionOrRefusesClearly()
    {
        using var dir = Paths.TempDir();
        var (code, stdout, stderr) = ExtractRegionsOfCase0(dir, "--precision", "bf16");
        if (BFloat16Support.WhyNot is { } why)
        {
            Assert.NotEqual(0, code);
            Assert.Contains(why, stderr);
            return;
        }
        Assert.True(code == 0, stderr);
        var regions = CliRunner.Json(stdout).GetProperty("regions").EnumerateArray().ToList();
        var embeddings = regions.SelectMany(r => r.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())).ToArray();
        using var got = torch.tensor(embeddings, regions.Count, 32);
        var error = RegionReference.RelativeError(_ref["emb0"], got);
        Assert.InRange(error, 1e-6, 2e-2);   // not float32's result, and within bfloat16's 8-bit mantissa over a few layers
    }

    [Fact]
    public void AnUnknownPrecisionIsRefusedNamingTheChoices()
    {
        var (code, _, stderr) = CliRunner.Run(["extract-regions", "--model", Model, "--image", _ref.Cases[0].Path, "--boxes", "b.json", "--precision", "fp64"]);
        Assert.NotEqual(0, code);
        Assert.Contains("fp64", stderr);
        Assert.Contains("bf16", stderr);
    }

    [Theory]
    [InlineData("[[1, 2, 3]]", "a box is 4 numbers")]
    [InlineData("{\"boxes\": 3}", "expected a list of boxes")]
    [InlineData("[[1, 2, 3", "not valid JSON")]
    [InlineData("[[500, 500, 600, 600]]", "no area inside")]
    public void BadBoxFilesAreNamedInTheError(string content, string expected)
    {
        using var dir = Paths.TempDir();
        var boxes = dir.File("bad_boxes.json");
        File.WriteAllText(boxes, content);
        var (code, _, stderr) = CliRunner.Run(["extract-regions", "--model", Model, "--image", _ref.Cases[0].Path, "--boxes", boxes]);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.Contains(expected == "no area inside" ? "clip_big.jpg" : "bad_boxes.json", stderr);
    }

    [Fact]
    public void DetectTakesAListFileOfImagesAndFoldersRelativeToIt()
    {
        using var dir = Paths.TempDir();
        var sub = Directory.CreateDirectory(dir.File("more")).FullName;
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), dir.File("a.jpg"));
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), Path.Combine(sub, "b.jpg"));
        File.WriteAllLines(dir.File("images.txt"), ["# my images", "a.jpg", "", "more"]);
        var boxes = dir.WriteJson("boxes.json", _ref.Cases[0].Boxes);
        var outDir = dir.File("out");
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--boxes", boxes,
            "--min-size", "96", "--max-size", "160", "--out", outDir, dir.File("images.txt")]);
        Assert.True(code == 0, stderr);
        var images = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "detections.json"))).GetProperty("images").EnumerateArray()
            .Select(i => Path.GetFileName(i.GetProperty("file").GetString())).ToList();
        Assert.Equal(["a.jpg", "b.jpg"], images);

        File.WriteAllLines(dir.File("bad.txt"), ["a.jpg", "missing.jpg"]);
        (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--boxes", boxes, dir.File("bad.txt")]);
        Assert.Equal(1, code);
        Assert.Contains("missing.jpg", stderr);
        Assert.Contains("bad.txt:2", stderr);
    }

    [Fact]
    public void DetectOnGivenBoxesSkipsACorruptImageAndFinishesTheRest()
    {
        using var dir = Paths.TempDir();
        var images = Directory.CreateDirectory(dir.File("images")).FullName;
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), Path.Combine(images, "a.jpg"));
        File.Copy(Paths.Fixture("images", "not_an_image.jpg"), Path.Combine(images, "b.jpg"));
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), Path.Combine(images, "c.jpg"));
        var boxes = dir.WriteJson("boxes.json", _ref.Cases[0].Boxes);
        var outDir = dir.File("out");
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--boxes", boxes,
            "--min-size", "96", "--max-size", "160", "--score-threshold", "0.001", "--nms-threshold", "0.5", "--max-detections", "100", "--batch", "1", "--out", outDir, images]);
        Assert.True(code == 0, stderr);
        Assert.Contains("b.jpg", stderr);
        var results = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "results.json"))).EnumerateArray().ToList();
        var expected = _ref["det_scores0"].data<float>();
        Assert.Equal(2 * expected.Length, results.Count);
        Assert.Equal([1L, 3L], results.Select(r => r.GetProperty("image_id").GetInt64()).Distinct());
        var first = results.Where(r => r.GetProperty("image_id").GetInt64() == 1).ToList();
        var classes = _ref["det_classes0"].data<long>();
        for (int j = 0; j < first.Count; j++)
        {
            Assert.Equal(classes[j] + 1, first[j].GetProperty("category_id").GetInt64());
            Assert.True(Math.Abs(expected[j] - first[j].GetProperty("score").GetSingle()) < 1e-4);
        }
        var details = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "detections.json")));
        Assert.Contains("b.jpg", details.GetProperty("errors")[0].GetProperty("file").GetString());
        // One picture per decoded image, each drawing its detections above the draw threshold; a gallery naming the failure.
        var svg = System.Xml.Linq.XDocument.Load(Path.Combine(outDir, "a.svg"));
        Assert.Equal(expected.Count(s => s > 0.05f), svg.Descendants().Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "box"));
        Assert.True(File.Exists(Path.Combine(outDir, "c.svg")));
        var gallery = File.ReadAllText(Path.Combine(outDir, "index.html"));
        Assert.Contains("a.svg", gallery);
        Assert.Contains("b.jpg", gallery);
    }

    [Fact]
    public void DetectOverAFolderSkipsATooSmallAndACorruptImageAndFinishesTheRest()
    {
        using var dir = Paths.TempDir();
        var images = Directory.CreateDirectory(dir.File("images")).FullName;
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), Path.Combine(images, "a.jpg"));
        File.Copy(Paths.Fixture("images", "truncated.jpg"), Path.Combine(images, "b.jpg"));
        using (var strip = RegionClip.Torch.torch.zeros([4, 4000, 3], RegionClip.Torch.ScalarType.UInt8))
            RegionClip.Data.ImageIO.WritePng(strip, Path.Combine(images, "c_strip.png"));   // 4000×4 → 160×1 after resizing
        File.Copy(Paths.Fixture("images", "clip_big.jpg"), Path.Combine(images, "d.jpg"));
        var boxes = dir.WriteJson("boxes.json", _ref.Cases[0].Boxes);
        var outDir = dir.File("out");
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--boxes", boxes,
            "--min-size", "96", "--max-size", "160", "--batch", "2", "--out", outDir, images]);
        Assert.True(code == 0, stderr);
        Assert.Contains("b.jpg", stderr);
        Assert.Contains("c_strip.png", stderr);
        Assert.Contains("too small for this model after resizing", stderr);
        var results = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "results.json"))).EnumerateArray().ToList();
        Assert.Equal([1L, 4L], results.Select(r => r.GetProperty("image_id").GetInt64()).Distinct());
    }

    [Fact]
    public void DetectWithNpyConceptsGivesTheSameDetectionsAsThePth()
    {
        using var dir = Paths.TempDir();
        var pth = _ref.SaveConcepts(dir);
        var npy = dir.File("concepts.npy");
        NpyWriter.WriteFloat32(npy, _ref["concepts"]);
        var boxes = dir.WriteJson("boxes.json", _ref.Cases[0].Boxes);
        var image = Paths.Fixture("images", "clip_big.jpg");
        string[] Args(string concepts) => ["detect", "--model", Model, "--concepts", concepts, "--boxes", boxes, "--min-size", "96", "--max-size", "160", image];
        var (code, fromPth, stderr) = CliRunner.Run(Args(pth));
        Assert.True(code == 0, stderr);
        (code, var fromNpy, stderr) = CliRunner.Run(Args(npy));
        Assert.True(code == 0, stderr);
        Assert.NotEmpty(CliRunner.Json(fromPth).EnumerateArray());
        Assert.Equal(fromPth, fromNpy);
    }

    [Fact]
    public void DetectOnGroundTruthBoxesReportsDatasetIds()
    {
        using var dir = Paths.TempDir();
        var c = _ref.Cases[0];
        File.Copy(c.Path, dir.File("img.jpg"));
        long[] ids = [3, 7, 9, 11, 20];
        var gt = dir.WriteJson("gt.json", new
        {
            images = new[] { new { id = 42, file_name = "img.jpg", width = 160, height = 120 } },
            categories = ids.Select((id, k) => new { id, name = _ref.Names[k] }),
            annotations = c.Boxes.Where(b => b[0] >= 0 && b[1] >= 0 && b[2] <= 160 && b[3] <= 120).Select((b, k) => new
            {
                id = k + 1, image_id = 42, category_id = 3, iscrowd = 0,
                bbox = new[] { b[0], b[1], b[2] - b[0], b[3] - b[1] }, area = (b[2] - b[0]) * (b[3] - b[1]),
            }),
        });
        var outDir = dir.File("out");
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--gt", gt,
            "--min-size", "96", "--max-size", "160", "--out", outDir]);
        Assert.True(code == 0, stderr);
        var results = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "results.json"))).EnumerateArray().ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal(42, r.GetProperty("image_id").GetInt64()));
        Assert.All(results, r => Assert.Contains(r.GetProperty("category_id").GetInt64(), ids));
        Assert.True(results.Count <= 100);   // COCO preset

        // The results are valid COCO results for this ground truth: evaluate accepts them and AP50 is
        // defined (the random model need not name the right class, so its value is not asserted).
        var (evalCode, evalOut, evalErr) = CliRunner.Run(["evaluate", "--gt", gt, "--dt", Path.Combine(outDir, "results.json")]);
        Assert.True(evalCode == 0, evalErr);
        Assert.InRange(CliRunner.Json(evalOut).GetProperty("AP50").GetDouble(), 0.0, 1.0);

        (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--gt", gt, "--classes", "zebra", "--out", outDir]);
        Assert.Equal(1, code);
        Assert.Contains("one vocabulary", stderr);
    }

    [SkippableFact]
    public void ExtractConceptsWritesAnOfficialStyleEmbeddingFile()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        var ckpt = TestCheckpoints.FullVocabularyTinyClip(dir.FullName);
        var names = dir.File("names.txt");
        File.WriteAllLines(names, _ref.Names.Select((n, i) => i % 2 == 0 ? n : n + ",123"));   // concept-file lines: "noun,count"
        var outFile = dir.File("out/emb.pth");
        var (code, stdout, stderr) = CliRunner.Run(["extract-concepts", "--model", ckpt, "--vocab", vocab, "--vocab-file", names, "--out", outFile, "--no-cache"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(5, CliRunner.Json(stdout).GetProperty("count").GetInt32());
        using var saved = ConceptEmbeddingFile.Load(outFile);
        Assert.True(RegionReference.RelativeError(_ref["concepts"], saved) <= 1e-5);
        Assert.Equal(_ref.Names, File.ReadAllLines(ConceptPool.NamesFileOf(outFile)));

        (code, _, stderr) = CliRunner.Run(["extract-concepts", "--model", ckpt, "--vocab", vocab, "--classes", " , ", "--out", outFile]);
        Assert.Equal(1, code);
        Assert.Contains("no concepts", stderr);
    }

    [SkippableFact]
    public void ExtractConceptsFromCategoriesOrdersRowsByIdAndPreparesLvisNames()
    {
        var vocab = Paths.RequireShared("data", "clip", "bpe_simple_vocab_16e6.txt.gz");
        using var dir = Paths.TempDir();
        var ckpt = TestCheckpoints.FullVocabularyTinyClip(dir.FullName);
        var categories = dir.WriteJson("lvis_like.json", new
        {
            images = Array.Empty<object>(), annotations = Array.Empty<object>(),
            categories = new object[] { new { id = 9, name = "hot_dog", frequency = "c" }, new { id = 2, name = "arctic_(type_of_shoe)", frequency = "r" } },
        });
        var outFile = dir.File("emb.pth");
        var (code, _, stderr) = CliRunner.Run(["extract-concepts", "--model", ckpt, "--vocab", vocab, "--categories", categories, "--out", outFile, "--no-cache"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["arctic_(type_of_shoe)", "hot_dog"], File.ReadAllLines(ConceptPool.NamesFileOf(outFile)));
        using var saved = ConceptEmbeddingFile.Load(outFile);
        using var expected = _ref["concepts"].narrow(0, 2, 2);   // reference rows: "arctic_(type_of_shoe)", "hot dog"
        Assert.True(RegionReference.RelativeError(expected, saved) <= 1e-5);
    }

    [Fact]
    public void DetectWithAnRpnWritesResultsForEveryImage()
    {
        using var dir = Paths.TempDir();
        var outDir = dir.File("out");
        var concepts = _ref.SaveConcepts(dir);
        string[] images = [_ref.Cases[0].Path, _ref.Cases[1].Path];
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", concepts, "--rpn", Paths.Fixture("rpn", "rpn_c4.pth"),
            "--min-size", "96", "--max-size", "160", "--out", outDir, .. images]);
        Assert.True(code == 0, stderr);
        var results = CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "results.json"))).EnumerateArray().ToList();
        Assert.Equal([1L, 2L], results.Select(r => r.GetProperty("image_id").GetInt64()).Distinct().Order());
        Assert.All(results, r => Assert.InRange(r.GetProperty("score").GetDouble(), 0.02, 1.0));   // pre-fusion probabilities above the preset threshold
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));

        (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", concepts, "--rpn", Paths.Fixture("rpn", "rpn_c4.pth"), "--boxes", concepts, images[0]]);
        Assert.Equal(1, code);
        Assert.Contains("exactly one of --rpn, --proposals, --boxes or --gt", stderr);
    }
}
