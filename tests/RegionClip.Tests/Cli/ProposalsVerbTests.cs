using System.Text.Json;
using RegionClip.Tests.Detection;

namespace RegionClip.Tests.Cli;

/// <summary>
/// detect --proposals on the tiny checkpoint: precomputed boxes with objectness, fused with the class
/// probabilities of the PyTorch reference (tests/fixtures/regions, case 0: clip_big.jpg at 96/160).
/// </summary>
public sealed class ProposalsVerbTests : TorchTest
{
    private static readonly string Model = Paths.Fixture("clip", "tiny_clip_fp32.pth");
    // One objectness per reference box of case 0; two negative (the reference fusion drops those rows).
    private static readonly float[] Objectness = [2.0f, -1.0f, 0.5f, 3.0f, 1.5f, -0.25f, 1.0f];
    private const double Threshold = 0.02;

    private readonly RegionReference _ref;
    private readonly float[] _probs;   // [7, K + 1] reference softmax, background last
    private readonly int _k1;

    public ProposalsVerbTests()
    {
        _ref = new RegionReference();
        _probs = _ref["probs0"].data<float>();
        _k1 = _ref.Names.Count + 1;
    }

    public override void Dispose()
    {
        _ref.Dispose();
        base.Dispose();
    }

    private string Image(TempDir dir, string name = "a.jpg")
    {
        var path = dir.File(name);
        File.Copy(_ref.Cases[0].Path, path);
        return path;
    }

    /// <summary>Runs detect with no NMS suppression (IoU threshold 1) and room for every pair; returns detections.json's images.</summary>
    private List<JsonElement> Detect(TempDir dir, string proposals, string[] images, params string[] extra)
    {
        var outDir = dir.File("out");
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--proposals", proposals,
            "--min-size", "96", "--max-size", "160", "--nms-threshold", "1", "--max-detections", "1000", "--out", outDir, .. extra, .. images]);
        Assert.True(code == 0, stderr);
        return CliRunner.Json(File.ReadAllText(Path.Combine(outDir, "detections.json"))).GetProperty("images").EnumerateArray().ToList();
    }

    private static List<(int Region, string Label, float Score)> Pairs(JsonElement image) =>
        image.GetProperty("detections").EnumerateArray()
            .Select(d => (d.GetProperty("region").GetInt32(), d.GetProperty("label").GetString()!, d.GetProperty("score").GetSingle())).ToList();

    private double P(int row, int k) => _probs[row * _k1 + k];

    /// <summary>The (region, class) pairs whose fused score passes the threshold, from the reference probabilities.</summary>
    private HashSet<(int, string)> Expected(Func<double, double, double> fuse) =>
        Enumerable.Range(0, Objectness.Length)
            .SelectMany(r => Enumerable.Range(0, _k1 - 1).Select(k => (r, k)))
            .Where(x => fuse(P(x.r, x.k), Objectness[x.r]) > Threshold)
            .Select(x => (x.r, _ref.Names[x.k])).ToHashSet();

    [Fact]
    public void ReferenceFusionRanksByTheRawLogitAndDropsNegativeObjectness()
    {
        using var dir = Paths.TempDir();
        var proposals = dir.WriteJson("proposals.json", new Dictionary<string, object> { ["a.jpg"] = new { boxes = _ref.Cases[0].Boxes, scores = Objectness } });
        var pairs = Pairs(Detect(dir, proposals, [Image(dir)])[0]);

        static double Fused(double p, double o) => Math.Sqrt(p * o);   // NaN for o < 0: never above the threshold
        var expected = Expected(Fused);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, pairs.Select(d => (d.Region, d.Label)).ToHashSet());
        Assert.DoesNotContain(pairs, d => Objectness[d.Region] < 0);
        // Reported scores are the pre-fusion probabilities (the custom-image config), ranked by the fused score.
        var fused = new List<double>();
        foreach (var (region, label, score) in pairs)
        {
            var k = _ref.Names.ToList().IndexOf(label);
            Assert.True(Math.Abs(P(region, k) - score) < 1e-4, $"region {region} {label}: {score} vs {P(region, k)}");
            fused.Add(Fused(P(region, k), Objectness[region]));
        }
        for (int i = 1; i < fused.Count; i++) Assert.True(fused[i] <= fused[i - 1] + 1e-4, $"rank {i}: {fused[i]} after {fused[i - 1]}");
        // Without fusion the negative-objectness regions come back.
        var unfused = Pairs(Detect(dir, proposals, [dir.File("a.jpg")], "--fusion", "None")[0]);
        Assert.Contains(unfused, d => Objectness[d.Region] < 0);
    }

    [Fact]
    public void SigmoidFusionReportsTheFusedScores()
    {
        using var dir = Paths.TempDir();
        var proposals = dir.WriteJson("proposals.json", new Dictionary<string, object> { ["a.jpg"] = new { boxes = _ref.Cases[0].Boxes, scores = Objectness } });
        var pairs = Pairs(Detect(dir, proposals, [Image(dir)], "--fusion", "Sigmoid")[0]);

        static double Fused(double p, double o) => Math.Sqrt(p / (1 + Math.Exp(-o)));
        Assert.Equal(Expected(Fused), pairs.Select(d => (d.Region, d.Label)).ToHashSet());
        foreach (var (region, label, score) in pairs)
        {
            var expected = Fused(P(region, _ref.Names.ToList().IndexOf(label)), Objectness[region]);
            Assert.True(Math.Abs(expected - score) < 1e-4, $"region {region} {label}: {score} vs {expected}");
        }
    }

    [Fact]
    public void CocoResultsListEqualsTheMapAndLeavesImagesWithoutRecordsEmpty()
    {
        using var dir = Paths.TempDir();
        string[] images = [Image(dir, "a.jpg"), Image(dir, "c.jpg")];
        var boxes = _ref.Cases[0].Boxes;
        var map = dir.WriteJson("map.json", new Dictionary<string, object> { ["a.jpg"] = new { boxes, scores = Objectness }, ["c.jpg"] = new { boxes = Array.Empty<float[]>(), scores = Array.Empty<float>() } });
        // COCO results: [x, y, w, h]; the first image by id, the others by file name, in shuffled order.
        var records = boxes.Select((b, i) => (object)(i % 2 == 0
                ? new { image_id = 1, bbox = new[] { b[0], b[1], b[2] - b[0], b[3] - b[1] }, score = Objectness[i], category_id = 1 }
                : new { file_name = "a.jpg", bbox = new[] { b[0], b[1], b[2] - b[0], b[3] - b[1] }, score = Objectness[i], category_id = 1 }))
            .Reverse().ToList();
        var list = dir.WriteJson("list.json", records);

        var fromMap = Detect(dir, map, images);
        var fromList = Detect(dir, list, images);
        Assert.Empty(Pairs(fromMap[1]));
        Assert.Empty(Pairs(fromList[1]));
        // Regions are numbered in file order, which the list reversed: compare boxes, labels and scores.
        static List<string> Key(JsonElement image) => image.GetProperty("detections").EnumerateArray()
            .Select(d => $"{d.GetProperty("label").GetString()} {d.GetProperty("score").GetSingle():F3} {string.Join(",", d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle().ToString("F1")))}")
            .Order().ToList();
        Assert.NotEmpty(Key(fromMap[0]));
        Assert.Equal(Key(fromMap[0]), Key(fromList[0]));
    }

    [Fact]
    public void ProposalsWithoutScoresAreGivenBoxes()
    {
        using var dir = Paths.TempDir();
        var image = Image(dir);
        var proposals = dir.WriteJson("proposals.json", _ref.Cases[0].Boxes);   // --boxes' shape: every image
        var pairs = Pairs(Detect(dir, proposals, [image])[0]);
        var expected = Enumerable.Range(0, Objectness.Length).SelectMany(r => Enumerable.Range(0, _k1 - 1).Where(k => P(r, k) > Threshold).Select(k => (r, _ref.Names[k]))).ToHashSet();
        Assert.Equal(expected, pairs.Select(d => (d.Region, d.Label)).ToHashSet());

        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--proposals", proposals, "--fusion", "Sigmoid", image]);
        Assert.Equal(1, code);
        Assert.Contains("needs objectness scores", stderr);
        Assert.Contains("proposals.json", stderr);
    }

    [Theory]
    [InlineData("{\"a.jpg\": {\"boxes\": [[1, 2, 30, 40]], \"scores\": [1, 2]}}", "$[\"a.jpg\"].scores: 2 score(s) for 1 box(es)")]
    [InlineData("{\"a.jpg\": {\"boxes\": [[1, 2, 30, 40]], \"score\": [1]}}", "unknown field 'score'")]
    [InlineData("{\"a.jpg\": {\"boxes\": [[1, 2, 30, 40]], \"scores\": [\"high\"]}}", "$[\"a.jpg\"].scores[0]: expected a finite number")]
    [InlineData("{\"a.jpg\": {\"scores\": [1]}}", "missing \"boxes\"")]
    [InlineData("{\"a.jpg\": {\"boxes\": [[1, 2, 30, 40]], \"scores\": [1]}, \"b.jpg\": [[1, 2, 30, 40]]}", "$[\"b.jpg\"]: has no scores but earlier proposals do")]
    [InlineData("{\"other.jpg\": [[1, 2, 30, 40]]}", "has no proposals for image")]
    [InlineData("[{\"file_name\": \"a.jpg\", \"bbox\": [1, 2, 3]}]", "$[0].bbox: expected 4 numbers [x, y, width, height]")]
    [InlineData("[{\"file_name\": \"a.jpg\", \"bbox\": [1, 2, -3, 4]}]", "$[0].bbox: width and height must not be negative")]
    [InlineData("[{\"bbox\": [1, 2, 3, 4]}]", "$[0]: a record needs \"file_name\" or \"image_id\"")]
    [InlineData("[{\"file_name\": \"zzz.jpg\", \"bbox\": [1, 2, 3, 4]}]", "$[0].file_name: 'zzz.jpg' is not among the images")]
    [InlineData("[{\"image_id\": 2, \"bbox\": [1, 2, 3, 4]}]", "$[0].image_id: 2 is not the number of an image")]
    [InlineData("[{\"image_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1e300}]", "$[0].score: expected a finite number")]
    [InlineData("[{\"image_id\": 1, \"bbox\": [1, 2, 3, 4]}, {\"image_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 1}]", "$[1].score: has scores but earlier proposals have none")]
    [InlineData("\"boxes\"", "expected an object")]
    [InlineData("{\"a.jpg\": [[1, 2, 3", "not valid JSON")]
    public void BadProposalFilesNameTheFileAndTheField(string content, string expected)
    {
        using var dir = Paths.TempDir();
        var image = Image(dir);
        var proposals = dir.File("bad_proposals.json");
        File.WriteAllText(proposals, content);
        var (code, _, stderr) = CliRunner.Run(["detect", "--model", Model, "--concepts", _ref.SaveConcepts(dir), "--proposals", proposals, image]);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.Contains("bad_proposals.json", stderr);
    }
}
