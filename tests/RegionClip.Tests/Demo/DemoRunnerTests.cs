using System.Text.Json;
using RegionClip.Cli.Demo;
using RegionClip.Data.Coco;

namespace RegionClip.Tests.Demo;

/// <summary>The demo pipeline end to end on a tiny world: every stage runs, the report holds what was measured, and a seeded run repeats exactly.</summary>
public sealed class DemoRunnerTests : TorchTest
{
    [Fact]
    public void ATinyDemoRunsEveryStageAndReportsItsNumbers()
    {
        using var dir = new TempDir("demo-tiny");
        var result = new DemoRunner(dir.FullName, TinyDemo.Options).Run()!;

        // Every ground-truth box of the val world is classified both ways.
        var gt = CocoDataset.Load(Path.Combine(dir.FullName, "world", "instances_val.json"));
        int boxes = gt.Annotations.Count(a => !a.IsCrowd);
        Assert.Equal(boxes, result.Evaluation.GtBoxes);
        Assert.Equal(boxes, result.Evaluation.Region.Boxes);
        Assert.Equal(boxes, result.Evaluation.Crop!.Boxes);
        Assert.Equal(boxes, result.StudentEvaluation.Region.Boxes);
        Assert.Null(result.StudentEvaluation.Crop);
        Assert.Equal(boxes, result.Evaluation.Region.BaseBoxes + result.Evaluation.Region.NovelBoxes);
        Assert.Equal(10, result.Teacher.Steps);
        Assert.Equal(6, result.Rpn.Steps);
        Assert.NotEmpty(result.Concepts.Concepts);
        Assert.Equal(4, result.Pretrain.Steps);
        Assert.Equal([DemoPaper.Clip, DemoPaper.RegionClip], result.Transfer.Select(t => t.Init));
        Assert.All(result.Transfer, t => Assert.Equal(4, t.Steps));
        Assert.All(result.Transfer, t => Assert.InRange(t.Ap50Novel, 0, 1));
        Assert.InRange(result.Evaluation.GtMode.Ap50All, 0, 1);
        Assert.InRange(result.Evaluation.RpnMode!.Ap50All, 0, 1);
        Assert.InRange(result.Rpn.Recall100, 0, 1);

        // Without an RPN (evaluate-zero-shot with no --rpn) only the ground-truth rows are measured, and they are the same numbers.
        var gtOnly = DemoEvaluation.Run(Path.Combine(dir.FullName, "world"), result.Teacher.TeacherPath, "teacher", withCrops: false, rpn: null,
            TinyDemo.Options, RegionClip.Training.Engine.DataParallel.Single, null, CancellationToken.None);
        Assert.Null(gtOnly.RpnMode);
        Assert.Equal(result.Evaluation.GtMode with { Seconds = 0 }, gtOnly.GtMode with { Seconds = 0 });
        Assert.Equal((result.Evaluation.Region.Correct, result.Evaluation.Region.NovelCorrect), (gtOnly.Region.Correct, gtOnly.Region.NovelCorrect));

        using var json = JsonDocument.Parse(File.ReadAllText(result.ReportJson));
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.Equal(result.Evaluation.Region.Correct, metrics.GetProperty("regionVsCrop").GetProperty("region").GetProperty("correct").GetInt32());
        Assert.Equal(result.Evaluation.Crop.Correct, metrics.GetProperty("regionVsCrop").GetProperty("crop").GetProperty("correct").GetInt32());
        Assert.Equal(Math.Round(result.Evaluation.GtMode.Ap50Novel, 6), metrics.GetProperty("gtMode").GetProperty("AP50_novel").GetDouble());
        Assert.Equal(Math.Round(result.Evaluation.RpnMode!.Ap50Novel, 6), metrics.GetProperty("rpnMode").GetProperty("AP50_novel").GetDouble());
        Assert.Equal(Math.Round(result.Rpn.NovelRecall100, 6), metrics.GetProperty("rpn").GetProperty("novelRecall100").GetDouble());

        // The paper section, in the issue's shape: four zero-shot rows (top1 only with GT regions), two transfer rows.
        var paper = json.RootElement.GetProperty("paper");
        var zeroShot = paper.GetProperty("zeroShot").EnumerateArray().ToList();
        Assert.Equal(["CLIP/GT", "RegionCLIP/GT", "CLIP/RPN", "RegionCLIP/RPN"], zeroShot.Select(z => $"{z.GetProperty("model").GetString()}/{z.GetProperty("regions").GetString()}"));
        Assert.Equal([true, true, false, false], zeroShot.Select(z => z.TryGetProperty("top1", out _)));
        Assert.Equal(Math.Round(result.StudentEvaluation.GtMode.Ap50Novel, 6), zeroShot[1].GetProperty("AP50_novel").GetDouble());
        Assert.Equal(Math.Round(result.StudentEvaluation.Region.All, 6), zeroShot[1].GetProperty("top1").GetDouble());
        Assert.Equal(Math.Round(result.Evaluation.RpnMode!.Ap50Base, 6), zeroShot[2].GetProperty("AP50_base").GetDouble());
        var transfer = paper.GetProperty("transfer").EnumerateArray().ToList();
        Assert.Equal(["CLIP", "RegionCLIP"], transfer.Select(t => t.GetProperty("init").GetString()));
        Assert.Equal(Math.Round(result.Transfer[1].Ap50All, 6), transfer[1].GetProperty("AP50_all").GetDouble());
        Assert.Equal(!TinyDemo.Options.IsQuick, paper.GetProperty("comparable").GetBoolean());
        var margins = paper.GetProperty("marginsInPoints");
        var novelTop1 = 100 * (result.StudentEvaluation.Region.Novel - result.Evaluation.Region.Novel);   // NaN when the tiny val world has no novel box
        if (double.IsFinite(novelTop1)) Assert.Equal(novelTop1, margins.GetProperty("novel region top-1").GetDouble(), 5);
        else Assert.Equal(JsonValueKind.Null, margins.GetProperty("novel region top-1").ValueKind);
        Assert.Equal(4, margins.EnumerateObject().Count());

        var html = File.ReadAllText(result.ReportHtml);
        Assert.Contains("<svg", html);                     // the loss curve, inline
        Assert.Contains("region top-1", html);
        Assert.Contains("Table 4", html);
        Assert.Contains("Table 1", html);
        Assert.Equal(2, result.Evaluation.Pictures.Count);
        Assert.Equal(result.Evaluation.Pictures.Select(p => p.File), result.StudentEvaluation.Pictures.Select(p => p.File));
        foreach (var p in result.Evaluation.Pictures)
            foreach (var model in new[] { "clip", "regionclip" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, "pictures", $"{Path.GetFileNameWithoutExtension(p.File)}_{model}.svg")), p.File);
    }

    [Fact]
    public void TheSameSeedGivesTheSameMetricsSingleThreaded()
    {
        using var a = new TempDir("demo-seed-a");
        using var b = new TempDir("demo-seed-b");
        var threads = torch.get_num_threads();
        try
        {
            torch.set_num_threads(1);
            new DemoRunner(a.FullName, TinyDemo.Options).Run();
            new DemoRunner(b.FullName, TinyDemo.Options).Run();
        }
        finally
        {
            torch.set_num_threads(threads);
        }
        Assert.Equal(Metrics(a.FullName), Metrics(b.FullName));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.FullName, "world", "instances_val.json")), File.ReadAllBytes(Path.Combine(b.FullName, "world", "instances_val.json")));
    }

    [Fact]
    public void AFinishedWorldIsReusedAndADifferentOneIsRendered()
    {
        using var dir = new TempDir("demo-world");
        var first = new DemoRunner(dir.FullName, TinyDemo.Options).Run()!;
        Assert.All(first.Worlds, w => Assert.NotNull(w));
        var metrics = Metrics(dir.FullName);
        var again = new DemoRunner(dir.FullName, TinyDemo.Options).Run(resume: true)!;
        Assert.All(again.Worlds, w => Assert.Null(w));   // reused: nothing rendered
        Assert.Equal(metrics, Metrics(dir.FullName));     // a finished teacher is only re-evaluated
        var other = new DemoRunner(dir.FullName, TinyDemo.Options with { Seed = 6 }).Run()!;
        Assert.All(other.Worlds, w => Assert.NotNull(w));
    }

    private static string Metrics(string outDir)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, DemoReport.JsonFile)));
        return json.RootElement.GetProperty("metrics").GetRawText();
    }
}
