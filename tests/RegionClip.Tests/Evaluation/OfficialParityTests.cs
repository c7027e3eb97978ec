using System.Text.Json;
using RegionClip.Data.Coco;
using RegionClip.Evaluation;
using RegionClip.Tests.Cli;

namespace RegionClip.Tests.Evaluation;

/// <summary>
/// ../shared/fixtures/{cocoeval,lviseval}: ground truth, detections and the official tools' numbers
/// (pycocotools COCOeval.stats; lvis-api LVISEval.results). Every number must agree within 1e-9 (they agree
/// to the last bit).
/// </summary>
public sealed class OfficialParityTests
{
    private const double Tol = 1e-9;

    [SkippableTheory]
    [InlineData("cocoeval")]
    [InlineData("lviseval")]
    public void EveryNumberEqualsTheOfficialTool(string fixture)
    {
        var (gt, dt, expected) = Fixture(fixture);
        var truth = CocoDataset.Load(gt);
        var results = CocoResultsFile.Load(dt);
        var e = fixture == "lviseval" ? LvisEvaluator.Evaluate(truth, results) : CocoEvaluator.Evaluate(truth, results);
        Assert.Equal(expected.Select(p => p.Key), e.Stats.Select(s => s.Key));
        foreach (var (key, value) in expected)
            Assert.True(Math.Abs(e[key] - value) <= Tol, $"{fixture} {key}: {e[key]:R}, official {value:R}");
    }

    [SkippableTheory]
    [InlineData("cocoeval", "coco")]
    [InlineData("lviseval", "auto")]  // an LVIS file is recognised by its frequencies and neg_category_ids
    public void EvaluateCommandWritesTheOfficialNumbers(string fixture, string kind)
    {
        var (gt, dt, expected) = Fixture(fixture);
        using var dir = Paths.TempDir();
        var outFile = dir.File("eval.json");
        var (code, _, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", dt, "--kind", kind, "--out", outFile);
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(File.ReadAllText(outFile));
        Assert.Equal(expected.Select(p => p.Key), json.EnumerateObject().Select(p => p.Name));
        foreach (var (key, value) in expected)
            Assert.True(Math.Abs(json.GetProperty(key).GetDouble() - value) <= Tol, $"{fixture} {key}");
        Assert.Contains("AP50", stderr);  // the human table
    }

    [SkippableTheory]
    [InlineData("cocoeval")]
    [InlineData("lviseval")]
    public void GroundTruthWithoutFileNamesGivesTheSameNumbers(string fixture)
    {
        // pycocotools and lvis-api read only id, width and height of an image; neither needs its file.
        var (gt, dt, expected) = Fixture(fixture);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(gt))!;
        foreach (var image in json["images"]!.AsArray())
        {
            image!.AsObject().Remove("file_name");
            image.AsObject().Remove("coco_url");
        }
        using var dir = Paths.TempDir();
        var bare = dir.File("gt_without_files.json");
        File.WriteAllText(bare, json.ToJsonString());
        var outFile = dir.File("eval.json");
        var (code, _, stderr) = CliRunner.Run("evaluate", "--gt", bare, "--dt", dt, "--out", outFile);
        Assert.True(code == 0, stderr);
        var numbers = CliRunner.Json(File.ReadAllText(outFile));
        foreach (var (key, value) in expected)
            Assert.True(Math.Abs(numbers.GetProperty(key).GetDouble() - value) <= Tol, $"{fixture} {key}");
        var dataset = CocoDataset.Load(bare);
        var e = Assert.Throws<InvalidDataException>(() => dataset.ImageFile(dataset.Images[0], dir.FullName));
        Assert.Contains("file_name", e.Message);   // reading the image still needs one
    }

    [SkippableFact]
    public void LvisRareSplitReproducesAPrAndAP()
    {
        // Novel = rare, so AP_novel averages exactly APr's entries; base ∪ novel is every category, so AP_all is AP.
        var (gt, dt, expected) = Fixture("lviseval");
        var truth = CocoDataset.Load(gt);
        var e = LvisEvaluator.Evaluate(truth, CocoResultsFile.Load(dt));
        var split = SplitMetrics.Compute(e, OpenVocabularySplit.LvisRare(truth)).ToDictionary();
        Assert.Equal(expected["APr"], split["AP_novel"], Tol);
        Assert.Equal(expected["AP"], split["AP_all"], Tol);
    }

    [SkippableFact]
    public void PerCategoryApAveragesBackToAP()
    {
        // Each category has the same number of precision entries, so the mean of the defined per-category APs is AP.
        var (gt, dt, expected) = Fixture("cocoeval");
        var e = CocoEvaluator.Evaluate(CocoDataset.Load(gt), CocoResultsFile.Load(dt));
        Assert.Equal(expected["AP"], e.PerCategory.Where(c => c.AP > -1).Average(c => c.AP), 1e-12);
        Assert.Equal([1L, 2, 3, 5, 8, 13], e.PerCategory.Select(c => c.Category.Id));
        Assert.Equal([10, 101, 6, 4, 3], new[] { e.Arrays.T, e.Arrays.R, e.Arrays.K, e.Arrays.A, e.Arrays.M });
    }

    private static (string Gt, string Dt, Dictionary<string, double> Expected) Fixture(string name)
    {
        var gt = Paths.RequireShared("fixtures", name, "gt.json");
        var dt = Paths.RequireShared("fixtures", name, "dt.json");
        var expected = JsonDocument.Parse(File.ReadAllBytes(Paths.RequireShared("fixtures", name, "expected.json"))).RootElement
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        return (gt, dt, expected);
    }
}
