using System.CommandLine;
using System.Globalization;
using RegionClip.Cli.Demo;
using RegionClip.Common;
using RegionClip.Modeling.Proposals;
using RegionClip.Training.Engine;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>
/// `evaluate-zero-shot`: the demo's zero-shot evaluation of any model on a synthetic world's val split
/// (GT-box and RPN-box AP50 over novel/base/all, region and crop top-1), so a pretrained student and
/// its teacher can be compared on the same numbers.
/// </summary>
internal static class EvaluateZeroShotCommand
{
    internal static Command Create()
    {
        var world = new Option<string>("--world") { Description = "A `regionclip synth` (or demo) world folder with instances_val.json, category_split.json and bpe_world.txt", Required = true };
        var model = new Option<string>("--model") { Description = "The model: a CLIP checkpoint (the teacher) or a RegionCLIP one (pretrain's model_final.pth)", Required = true };
        var rpn = new Option<string?>("--rpn") { Description = "The class-agnostic RPN for the RPN-box rows (train-rpn's rpn.pth); without it only the ground-truth boxes are evaluated, a few times faster" };
        var shortSide = new Option<int>("--short-side") { Description = "Short side of the detection input in pixels (the demo's 240)", DefaultValueFactory = _ => DemoOptions.Full.DetectionShortSide };
        var output = new Option<string?>("--out") { Description = "Write the JSON here (default: stdout)" };
        var precision = CommonOptions.Precision();
        var cmd = new Command("evaluate-zero-shot", "Zero-shot detection of a world's val split by any model: GT-box and RPN-box AP50 (novel/base/all), region and crop-then-CLIP top-1")
        {
            world, model, rpn, shortSide, output, precision,
        };
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var options = DemoOptions.Full with { DetectionShortSide = pr.GetValue(shortSide), Pictures = 0, Precision = pr.GetValue(precision) };
            options.Validate();
            var worldDir = Path.GetFullPath(pr.GetValue(world)!);
            var modelPath = Path.GetFullPath(pr.GetValue(model)!);
            using var network = pr.GetValue(rpn) is { } rpnPath ? ProposalNetwork.Load(rpnPath) : null;
            DemoEvaluationResult result = null!;
            CliProgress.Bars("img/s").Start(ctx =>
            {
                var task = ctx.AddTask("zero-shot detection on val", maxValue: 1);
                var progress = new SyncProgress<DemoProgress>(p => { task.MaxValue = Math.Max(1, p.Total); task.Value = p.Done; });
                result = DemoEvaluation.Run(worldDir, modelPath, Path.GetFileName(modelPath), withCrops: true, network, options, DataParallel.Single, progress, CancellationToken.None);
            });
            static string Pct(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("F1", CultureInfo.InvariantCulture);
            var table = new Table().AddColumns("regions", "AP50 novel", "AP50 base", "AP50 all", "top-1 novel", "top-1 base", "top-1 all");
            table.AddRow("GT", Pct(result.GtMode.Ap50Novel), Pct(result.GtMode.Ap50Base), Pct(result.GtMode.Ap50All), Pct(result.Region.Novel), Pct(result.Region.Base), Pct(result.Region.All));
            var crop = result.Crop!;
            table.AddRow("GT, crop-then-CLIP", "", "", "", Pct(crop.Novel), Pct(crop.Base), Pct(crop.All));
            if (result.RpnMode is { } r) table.AddRow("RPN", Pct(r.Ap50Novel), Pct(r.Ap50Base), Pct(r.Ap50All), "", "", "");
            CliOutput.Human.Write(table);
            // The metric names as report.json spells them (a dictionary keeps them from the camelCase policy).
            static object? Scores(DetectionScores? s) => s is null ? null : new Dictionary<string, object>
            {
                ["AP50_novel"] = s.Ap50Novel, ["AP50_base"] = s.Ap50Base, ["AP50_all"] = s.Ap50All, ["AP"] = s.Ap, ["AP50"] = s.Ap50, ["detections"] = s.Detections,
            };
            static object Top1(Top1Accuracy a) => new
            {
                novel = a.Novel, @base = a.Base, all = a.All, boxes = a.Boxes,
                perCategory = a.PerCategory.Select(c => new { name = c.Name, novel = c.Novel, boxes = c.Boxes, correct = c.Correct, top1 = c.Top1, commonMistake = c.CommonMistake }),
            };
            CliOutput.WriteJson(new
            {
                model = modelPath, world = worldDir, images = result.Images, gtBoxes = result.GtBoxes,
                gt = Scores(result.GtMode), rpn = Scores(result.RpnMode), regionTop1 = Top1(result.Region), cropTop1 = Top1(crop),
                seconds = Math.Round(result.Seconds, 3),
            }, pr.GetValue(output));
            return 0;
        }));
        return cmd;
    }
}
