using RegionClip.Tests.Cli;

namespace RegionClip.Tests.Evaluation;

public sealed class EvaluateCommandTests
{
    [Fact]
    public void SplitAndPerCategoryNumbersAreAddedToTheJson()
    {
        // Category 1 found at once (AP50 = 1/(1+eps)); category 2 ranks [miss, hit] (AP50 = .5).
        using var dir = Paths.TempDir();
        var (gt, dt) = new EvalCase().Image(1).Category(1).Category(2)
            .Gt(1, 1, 0, 0, 50, 50).Gt(1, 2, 100, 100, 50, 50)
            .Det(1, 1, 0, 0, 50, 50, 0.9).Det(1, 2, 400, 400, 50, 50, 0.8).Det(1, 2, 100, 100, 50, 50, 0.7)
            .Write(dir.FullName);
        var split = dir.File("split.json");
        File.WriteAllText(split, """{"base": ["thing1"], "novel": ["thing2"]}""");
        var (code, stdout, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", dt, "--split", split, "--per-category");
        Assert.True(code == 0, stderr);
        var json = CliRunner.Json(stdout);
        Assert.Equal(0.5, json.GetProperty("AP50_novel").GetDouble());
        Assert.Equal(EvalCase.OneTp, json.GetProperty("AP50_base").GetDouble(), 1e-12);
        var perCategory = json.GetProperty("perCategory").EnumerateArray().ToArray();
        Assert.Equal(["thing1", "thing2"], perCategory.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(0.5, perCategory[1].GetProperty("AP").GetDouble());  // [miss, hit] at every IoU: .5
        Assert.Contains("AP50_novel", stderr);
        Assert.Contains("thing2", stderr);
    }

    [Fact]
    public void BadInputsFailWithOneLineNamingThePlace()
    {
        using var dir = Paths.TempDir();
        var (gt, dt) = new EvalCase().Image(1).Category(1).Gt(1, 1, 0, 0, 5, 5).Det(1, 1, 0, 0, 5, 5, 0.5).Write(dir.FullName);
        File.WriteAllText(dt, File.ReadAllText(dt)[..^3]);  // truncated results
        var (code, stdout, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", dt);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("dt.json: invalid JSON", stderr);

        (code, _, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", gt);
        Assert.Equal(1, code);
        Assert.Contains("gt.json: expected COCO results", stderr);  // (Spectre wraps the line at the console width)

        (code, _, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", dir.File("missing.json"));
        Assert.Equal(1, code);
        Assert.Contains("missing.json: no such file", stderr);

        (code, _, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", gt, "--split", "nonsense");
        Assert.Equal(1, code);

        (code, _, stderr) = CliRunner.Run("evaluate", "--gt", gt, "--dt", dt, "--kind", "voc");
        Assert.NotEqual(0, code);
    }
}
