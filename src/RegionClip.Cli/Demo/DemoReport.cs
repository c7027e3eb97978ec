using System.Globalization;
using System.Text.Json;
using RegionClip.Common;
using RegionClip.Data;
using RegionClip.Structures;
using RegionClip.Training;
using RegionClip.Visualization;

namespace RegionClip.Cli.Demo;

/// <summary>
/// OUT/report.json (the numbers, machine-readable; "metrics" holds only what a seeded run
/// reproduces, "timings" what it does not) and OUT/report.html (the tables, the loss curves as SVG
/// plots, detections on val images as SVG pictures in OUT/pictures).
/// </summary>
public static class DemoReport
{
    public const string HtmlFile = "report.html";
    public const string JsonFile = "report.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(DemoResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var pictures = DrawPictures(result);
        AtomicFile.WriteAllText(result.ReportJson, JsonSerializer.Serialize(Json(result), Indented));
        Html(result, pictures).Write(result.ReportHtml);
    }

    /// <summary>The summary table's rows: (what, value), as the CLI prints them and the page shows them.</summary>
    public static IReadOnlyList<(string What, string Value)> Rows(DemoResult r)
    {
        var e = r.Evaluation;
        var rows = new List<(string, string)>();
        if (r.Teacher.ZeroShot is { } z)
            rows.Add(("teacher zero-shot top-1 (val single-object images)", $"{Pct(z.Top1)}  (base {Pct(z.BaseTop1)}, novel {Pct(z.NovelTop1)}; {z.Images} images)"));
        rows.Add(("concept pool parsed from the train captions", $"{r.Concepts.Concepts.Count} concepts ({string.Join(", ", r.Concepts.Concepts.Take(6))}, …)"));
        rows.Add(("RPN recall@100, IoU 0.5 (val)", $"novel {Pct(r.Rpn.NovelRecall100)}, base {Pct(r.Rpn.BaseRecall100)}, all {Pct(r.Rpn.Recall100)}"));
        rows.Add(("CLIP teacher, GT boxes: AP50 novel / base / all", Triple(e.GtMode)));
        rows.Add(("CLIP teacher, RPN proposals: AP50 novel / base / all", Triple(e.RpnMode!)));
        rows.Add(("CLIP teacher region top-1: RoIAlign region features", Acc(e.Region)));
        rows.Add(("CLIP teacher region top-1: crop then CLIP", Acc(e.Crop!)));
        var s = r.StudentEvaluation;
        rows.Add(("RegionCLIP student, GT boxes: AP50 novel / base / all", Triple(s.GtMode)));
        rows.Add(("RegionCLIP student, RPN proposals: AP50 novel / base / all", Triple(s.RpnMode!)));
        rows.Add(("RegionCLIP student region top-1", Acc(s.Region)));
        foreach (var t in r.Transfer)
            rows.Add(($"transfer from {t.Init} (base boxes): AP50 novel / base / all", $"{Pct(t.Ap50Novel)} / {Pct(t.Ap50Base)} / {Pct(t.Ap50All)}"));
        return rows;
    }

    private static string Triple(DetectionScores s) => $"{Pct(s.Ap50Novel)} / {Pct(s.Ap50Base)} / {Pct(s.Ap50All)}";
    private static string Acc(Top1Accuracy a) => $"{Pct(a.All)}  (base {Pct(a.Base)}, novel {Pct(a.Novel)}; {a.Boxes} boxes)";
    internal static string Pct(double v) => double.IsFinite(v) ? (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %" : "–";
    private static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;

    private static object Json(DemoResult r)
    {
        var e = r.Evaluation;
        var z = r.Teacher.ZeroShot;
        object Scores(DetectionScores s) => new { AP50_novel = N(s.Ap50Novel), AP50_base = N(s.Ap50Base), AP50_all = N(s.Ap50All), AP = N(s.Ap), AP50 = N(s.Ap50), detections = s.Detections };
        object Accuracy(Top1Accuracy a) => new { top1 = N(a.All), baseTop1 = N(a.Base), novelTop1 = N(a.Novel), boxes = a.Boxes, correct = a.Correct };
        return new
        {
            demo = new
            {
                quick = r.Options.IsQuick, seed = r.Options.Seed, trainImages = r.Options.TrainImages, valImages = r.Options.ValImages,
                detectionShortSide = r.Options.DetectionShortSide, threads = r.Threads,
            },
            metrics = new
            {
                teacher = new
                {
                    steps = r.Teacher.Steps, finalLoss = N(r.Teacher.FinalLoss),
                    zeroShot = z is null ? null : new { images = z.Images, top1 = N(z.Top1), baseTop1 = N(z.BaseTop1), novelTop1 = N(z.NovelTop1) },
                },
                rpn = new
                {
                    steps = r.Rpn.Steps, recall100 = N(r.Rpn.Recall100), novelRecall100 = N(r.Rpn.NovelRecall100), baseRecall100 = N(r.Rpn.BaseRecall100),
                },
                gtMode = Scores(e.GtMode),
                rpnMode = Scores(e.RpnMode!),
                regionVsCrop = new { region = Accuracy(e.Region), crop = Accuracy(e.Crop!) },
                concepts = new { count = r.Concepts.Concepts.Count, captions = r.Concepts.Captions, distinctNouns = r.Concepts.DistinctNouns },
                pretrain = new { steps = r.Pretrain.Steps },
                student = new { gtMode = Scores(r.StudentEvaluation.GtMode), rpnMode = Scores(r.StudentEvaluation.RpnMode!), region = Accuracy(r.StudentEvaluation.Region) },
                transfer = r.Transfer.Select(t => new { init = t.Init, steps = t.Steps, AP50_novel = N(t.Ap50Novel), AP50_base = N(t.Ap50Base), AP50_all = N(t.Ap50All) }),
            },
            paper = DemoPaper.Json(r),
            timings = new
            {
                stages = r.StageSeconds.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => Math.Round(kv.Value, 2)),
                total = Math.Round(r.StageSeconds.Values.Sum(), 2),
                teacherTraining = Math.Round(r.Teacher.TrainSeconds, 2),
                rpnTraining = Math.Round(r.Rpn.TrainSeconds, 2),
                gtModeDetection = Math.Round(e.GtMode.Seconds, 2),
                rpnModeDetection = Math.Round(e.RpnMode!.Seconds, 2),
                pretraining = Math.Round(r.Pretrain.TrainSeconds, 2),
                studentEvaluation = Math.Round(r.StudentEvaluation.Seconds, 2),
                transferTraining = r.Transfer.ToDictionary(t => t.Init, t => Math.Round(t.TrainSeconds, 2)),
                transferEvaluation = r.Transfer.ToDictionary(t => t.Init, t => Math.Round(t.EvaluationSeconds, 2)),
            },
            files = new
            {
                world = Path.Combine(r.OutDir, "world"), teacher = r.Teacher.TeacherPath, teacherLog = r.Teacher.LogPath,
                rpn = r.Rpn.ModelPath, rpnLog = r.Rpn.LogPath, concepts = r.Concepts.PoolPath, student = r.Pretrain.ModelPath,
                pretrainLog = r.Pretrain.LogPath, transfer = r.Transfer.ToDictionary(t => t.Init, t => t.ModelPath), html = r.ReportHtml,
            },
        };
    }

    private static HtmlReport Html(DemoResult r, IReadOnlyList<(string Path, string Caption)> pictures)
    {
        var page = new HtmlReport("RegionCLIP demo on the synthetic world");
        var o = r.Options;
        page.Paragraph($"{(o.IsQuick ? "Quick run" : "Full run")}, seed {o.Seed}: {o.TrainImages} train and {o.ValImages} val images, "
            + $"{r.Threads} threads, {r.StageSeconds.Values.Sum():F0} s in all. A CLIP teacher learned from captions alone; "
            + "an RPN learned objectness from base-category boxes; RegionCLIP pretraining taught a student the teacher's region–concept "
            + "matches on the RPN's proposals (concepts parsed from the captions) and the captions themselves. Teacher and student then "
            + "detect every category zero-shot, and each initialises an open-vocabulary detector trained on base boxes only.");
        page.Heading("The paper's claims in miniature");
        page.Paragraph(DemoPaper.Verdict(r));
        page.Table(DemoPaper.ZeroShotHeader, DemoPaper.ZeroShotTable(r), "Zero-shot region recognition on val (the paper's Table 4; the last column is the paper's COCO RN50 result)");
        page.Table(DemoPaper.TransferHeader, DemoPaper.TransferTable(r), "Open-vocabulary transfer: trained on base boxes, tested on all (the paper's Table 1; the last column is the paper's COCO RN50 result)");
        page.Heading("All results");
        page.Table(["measure", "value"], Rows(r).Select(x => (IReadOnlyList<string>)[x.What, x.Value]));
        page.Paragraph("Region vs crop (the paper's Fig. 1): the same ground-truth boxes of the val world, classified by RoIAlign "
            + "region features of the whole image, or by cutting each box out and encoding it as an image.");

        page.Heading("Training");
        var teacherLog = TrainingLog.Read(r.Teacher.LogPath);
        page.Svg(SvgPlot.Lines("Teacher: image–text contrastive loss", "step", "loss",
            [("loss", teacherLog.Select(s => ((double)s.Step, s.Loss)).ToList())]));
        page.Svg(SvgPlot.Lines("RPN: losses on base-category boxes", "step", "loss", r.Rpn.LossCurves));
        page.Svg(SvgPlot.Lines("RegionCLIP pretraining: losses", "step", "loss", r.Pretrain.LossCurves));
        page.Svg(SvgPlot.Lines("Open-vocabulary transfer: total loss", "step", "loss", [.. r.Transfer.Select(t => ($"from {t.Init}", t.LossCurve))]));
        var stageRows = r.StageSeconds.Select(kv => (IReadOnlyList<string>)[kv.Key.ToString(), kv.Value.ToString("F1", CultureInfo.InvariantCulture)]);
        page.Table(["stage", "seconds"], stageRows, "Time per stage");

        if (pictures.Count > 0)
        {
            page.Heading("Detections on val images (RPN proposals): CLIP teacher, then RegionCLIP student");
            page.Pictures(pictures);
        }
        return page;
    }

    private static IReadOnlyList<(string Path, string Caption)> DrawPictures(DemoResult r)
    {
        var dir = Path.Combine(r.OutDir, "pictures");
        Directory.CreateDirectory(dir);
        var world = Path.Combine(r.OutDir, "world");
        var list = new List<(string, string)>();
        // The same val images, teacher then student (both evaluations pick them by image order).
        foreach (var (teacher, student) in r.Evaluation.Pictures.Zip(r.StudentEvaluation.Pictures))
        {
            foreach (var (p, model) in new[] { (teacher, DemoPaper.Clip), (student, DemoPaper.RegionClip) })
            {
                using var rgb = ImageIO.Read(Path.Combine(world, p.File));
                var boxes = p.Detections.Take(25).Select(d => new DrawnBox(d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2, d.Label, d.Score, d.Concept)).ToList();
                var path = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(p.File)}_{model.ToLowerInvariant()}.svg");
                DetectionSvg.Write(path, EmbeddedImage.FromPixels(rgb, 640), boxes, p.File);
                list.Add((path, $"{model}: {Path.GetFileName(p.File)}, {boxes.Count} detections above {r.Options.PictureThreshold.ToString(CultureInfo.InvariantCulture)}"));
            }
        }
        return list;
    }
}
