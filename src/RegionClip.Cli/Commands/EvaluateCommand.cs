using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RegionClip.Data.Coco;
using RegionClip.Evaluation;
using RegionClip.Structures;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

internal static class EvaluateCommand
{
    internal static Command Create()
    {
        var gt = new Option<string>("--gt") { Description = "Ground truth: a COCO or LVIS v1 instances JSON", Required = true };
        var dt = new Option<string>("--dt") { Description = "Detections: a COCO results JSON [{\"image_id\", \"category_id\", \"bbox\": [x, y, w, h], \"score\"}, ...]", Required = true };
        var kind = new Option<string>("--kind")
        {
            Description = "coco (pycocotools COCOeval) or lvis (lvis-api LVISEval); auto: lvis when the ground truth is an LVIS file",
            DefaultValueFactory = _ => "auto",
        };
        kind.AcceptOnlyFromAmong("auto", "coco", "lvis");
        var split = new Option<string?>("--split")
        {
            Description = "Open-vocabulary split: coco-ovd (48 base / 17 novel: AP50_novel/base/all), lvis-rare (rare = novel: AP_novel/base/all), "
                          + "or a JSON file {\"base\": [names or ids], \"novel\": [names or ids]}",
        };
        var perCategory = new Option<bool>("--per-category") { Description = "Also give AP per category (a table, and \"perCategory\" in the JSON)" };
        var output = new Option<string?>("--out") { Description = "Write the JSON here instead of stdout" };
        var cmd = new Command("evaluate", "Box AP/AR of detections against COCO or LVIS ground truth, identical to pycocotools / lvis-api")
        {
            gt, dt, kind, split, perCategory, output,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            string dtPath = pr.GetValue(dt)!;
            // The two files are independent: read the results while the ground truth loads.
            var detections = Task.Run(() => CocoResultsFile.Load(dtPath));
            var truth = CocoDataset.Load(pr.GetValue(gt)!);
            var results = detections.GetAwaiter().GetResult();
            var chosenSplit = pr.GetValue(split) is { } name ? Split(name, truth) : null;  // a bad split fails before the work
            bool lvis = pr.GetValue(kind) switch { "lvis" => true, "coco" => false, _ => truth.IsLvis };
            var evaluation = lvis
                ? LvisEvaluator.Evaluate(truth, results, Path.GetFileName(dtPath))
                : CocoEvaluator.Evaluate(truth, results, Path.GetFileName(dtPath));
            var splitNumbers = chosenSplit is null ? [] : SplitMetrics.Compute(evaluation, chosenSplit);
            clock.Stop();

            WriteTable(evaluation, splitNumbers, truth, results.Count, clock.Elapsed);
            if (pr.GetValue(perCategory)) WritePerCategory(evaluation);
            if (truth.Annotations.Any(a => a.Id == 0))
                CliOutput.Human.MarkupLine("[yellow]note:[/] the ground truth has an annotation with id 0; the official tools never count it as found, and neither does this evaluation");
            if (evaluation.SkippedDetections > 0)
                CliOutput.Human.MarkupLine($"[yellow]note:[/] {evaluation.SkippedDetections} detections have a category_id that is not in the ground truth; they were left out, as the official tools do");

            var json = new Dictionary<string, object>();
            foreach (var (key, value) in evaluation.Stats.Concat(splitNumbers)) json[key] = value;
            if (pr.GetValue(perCategory))
                json["perCategory"] = evaluation.PerCategory
                    .Select(c => new Dictionary<string, object> { ["id"] = c.Category.Id, ["name"] = c.Category.Name, ["AP"] = c.AP })
                    .ToArray();
            CliOutput.WriteJson(json, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }

    private static OpenVocabularySplit Split(string name, CocoDataset truth) => name switch
    {
        "coco-ovd" => OpenVocabularySplit.CocoOvd(truth),
        "lvis-rare" => OpenVocabularySplit.LvisRare(truth),
        _ when File.Exists(name) => OpenVocabularySplit.Load(name, truth),
        _ => throw new ArgumentException($"--split {name}: neither coco-ovd, lvis-rare nor an existing split file"),
    };

    private static void WriteTable(DetectionEvaluation e, IReadOnlyList<KeyValuePair<string, double>> split, CocoDataset truth, int detections, TimeSpan elapsed)
    {
        var table = new Table().AddColumns("metric", "IoU", "area", "max dets", "value");
        table.Title = new TableTitle(e.Kind == EvaluationKind.Lvis ? "LVIS bbox (lvis-api)" : "COCO bbox (pycocotools)");
        table.Caption = new TableTitle(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{truth.Images.Count} images, {truth.Annotations.Count} boxes, {detections} detections, {elapsed.TotalSeconds:F2} s")));
        foreach (var (key, value) in e.Stats.Concat(split))
        {
            var (iou, area, dets) = Describe(key, e.Kind);
            table.AddRow(Markup.Escape(key), iou, area, dets, Format(value));
        }
        CliOutput.Human.Write(table);
    }

    /// <summary>The setting a summary number averages over, in the words of the official printouts.</summary>
    private static (string Iou, string Area, string MaxDets) Describe(string key, EvaluationKind kind)
    {
        string iou = key.StartsWith("AP50", StringComparison.Ordinal) ? "0.50" : key.StartsWith("AP75", StringComparison.Ordinal) ? "0.75" : "0.50:0.95";
        string area = key.Length > 2 ? key[2] switch { 's' => "small", 'm' => "medium", 'l' => "large", _ => "all" } : "all";
        string dets = kind == EvaluationKind.Lvis ? "300" : key switch { "AR1" => "1", "AR10" => "10", _ => "100" };
        if (key is "APr" or "APc" or "APf") area = $"all ({key[2]})";
        if (key.EndsWith("_novel", StringComparison.Ordinal) || key.EndsWith("_base", StringComparison.Ordinal) || key.EndsWith("_all", StringComparison.Ordinal))
            area = $"all ({key[(key.IndexOf('_') + 1)..]})";
        return (iou, area, dets);
    }

    private static void WritePerCategory(DetectionEvaluation e)
    {
        var table = new Table().AddColumns("id", "category", "AP");
        foreach (var c in e.PerCategory)
            table.AddRow(c.Category.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(c.Category.Name), Format(c.AP));
        CliOutput.Human.Write(table);
    }

    private static string Format(double v) => v < 0 ? "-1 (undefined)" : v.ToString("F4", CultureInfo.InvariantCulture);
}
