using System.CommandLine;
using System.Globalization;
using RegionClip.Common;
using RegionClip.Evaluation;
using RegionClip.Training.Rpn;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>`train-rpn`: trains a class-agnostic region proposal network on COCO-format boxes and reports its recall.</summary>
internal static class TrainRpnCommand
{
    internal static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "YAML file of training options: sections data, model, input, solver, evaluation and top-level out, seed (snake_case names of RpnTrainingOptions; every field optional)" };
        var output = new Option<string?>("--out") { Description = "Output folder (rpn.pth, rpn_checkpoint.pth, rpn_log.csv, rpn_log.json, rpn.json); overrides the config's out" };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/rpn_checkpoint.pth with its settings (bit-identical to an uninterrupted run at the same thread count)" };
        var world = new Option<string?>("--world") { Description = "A `regionclip synth` folder (instances_train.json, instances_val.json, category_split.json); overrides the config's data.world" };
        var preset = new Option<string>("--preset") { Description = "Starting options before the config: default, synthetic (the demo's RPN) or synthetic-quick", DefaultValueFactory = _ => "default" };
        preset.AcceptOnlyFromAmong("default", "synthetic", "synthetic-quick");
        var steps = new Option<int?>("--steps") { Description = "Optimisation steps (overrides the config's solver.steps)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the initial weights, data order, flips and anchor sampling (overrides the config's seed)" };
        var baseOnly = new Option<bool?>("--base-only") { Description = "Train on base categories' boxes only (needs a category split); overrides the config's data.base_only" };
        var report = new Option<string?>("--report") { Description = "Also write the JSON summary here (it always goes to OUT/rpn.json and stdout)" };
        var cmd = new Command("train-rpn", "Train a class-agnostic region proposal network (detectron2's RPN losses) on COCO-format boxes; recall@k on held-out images, base and novel")
        {
            config, output, resume, world, preset, steps, seed, baseOnly, report,
        };
        var launch = new DistributedLaunch.Options();
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            if (DistributedLaunch.LaunchIfAsked(pr, launch) is int exit) return exit;
            var options = pr.GetValue(preset) switch
            {
                "synthetic" => RpnTrainingOptions.Synthetic(),
                "synthetic-quick" => RpnTrainingOptions.Synthetic(quick: true),
                _ => new RpnTrainingOptions(),
            };
            var configPath = pr.GetValue(config);
            if (configPath is not null) options = OptionsFile<RpnTrainingOptions>.Load(configPath, options);
            // Flags beat the file: each replaces one field of its section.
            options = options with
            {
                Data = options.Data with { World = pr.GetValue(world) ?? options.Data.World, BaseOnly = pr.GetValue(baseOnly) ?? options.Data.BaseOnly },
                Solver = options.Solver with { Steps = pr.GetValue(steps) ?? options.Solver.Steps },
                Out = pr.GetValue(output) ?? options.Out,
                Seed = pr.GetValue(seed) ?? options.Seed,
                Resume = pr.GetValue(resume),
            };
            // A resumed run takes its settings from its checkpoint; anything else is checked here, naming the config.
            bool resuming = options.Resume && File.Exists(Path.Combine(Path.GetFullPath(options.Out), RpnTrainer.CheckpointFile));
            try
            {
                if (!resuming) options.Validate();
            }
            catch (ArgumentException e) when (configPath is not null)
            {
                throw new ArgumentException($"{configPath}: {e.Message}", e);
            }

            var checkpoint = Path.Combine(Path.GetFullPath(options.Out), RpnTrainer.CheckpointFile);
            DistributedLaunch.JoinIfInJob();
            if (!Interruptible.TryRun(cancel => RunWithProgress(options, cancel), $"checkpoint saved to {checkpoint}; rerun with --resume to continue", out var result))
                return Interruptible.InterruptedExitCode;
            PrintTable(result);
            var json = Summary(result);
            CliOutput.WriteJson(json, Path.Combine(result.Options.Out, "rpn.json"));
            if (pr.GetValue(report) is { } r) CliOutput.WriteJson(json, r);
            CliOutput.WriteJson(json, null);
            return 0;
        }));
        return cmd;
    }

    private static RpnTrainingResult RunWithProgress(RpnTrainingOptions options, CancellationToken cancel)
    {
        RpnTrainingResult result = null!;
        CliProgress.Bars("img/s")
            .Start(ctx =>
            {
                var tasks = new Dictionary<RpnPhase, ProgressTask>();
                ProgressTask Task(RpnPhase phase, string label)
                {
                    if (!tasks.TryGetValue(phase, out var t)) tasks[phase] = t = ctx.AddTask(label, maxValue: 1);
                    if (phase == RpnPhase.Training && tasks.TryGetValue(RpnPhase.Loading, out var loading)) loading.Value = loading.MaxValue;
                    return t;
                }
                var progress = new SyncProgress<RpnProgress>(p =>
                {
                    var task = p.Phase switch
                    {
                        RpnPhase.Loading => Task(p.Phase, "reading annotations"),
                        RpnPhase.Evaluating => Task(p.Phase, "recall on held-out images"),
                        _ => Task(p.Phase, "training"),
                    };
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                    if (p.Last is { } s)
                    {
                        task.Description = $"training [grey]epoch {s.Epoch + 1}[/] loss {s.Loss:F3} [grey](obj {s.ObjectnessLoss:F3}, box {s.BoxLoss:F3})[/]";
                        RateColumn.Report(task, s.ImagesPerSecond, 0.1);
                    }
                });
                result = RpnTrainer.Run(options, progress, cancel);
                foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    private static void PrintTable(RpnTrainingResult r)
    {
        static string Pct(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
        var o = r.Options;
        var c = r.Config;
        var table = new Table().AddColumns("RPN", "value");
        table.AddRow("network", Markup.Escape($"{c.Kind}, depths [{string.Join(",", c.ResNet.Depths)}], stem {c.ResNet.StemChannels}, res2 {c.ResNet.Res2Channels}, {c.NumAnchors} anchors/location ({r.Parameters / 1e6:F2} M parameters)"));
        table.AddRow("data", $"{r.TrainImages} images, {r.TrainBoxes} {(o.Data.BaseOnly ? "base-category " : "")}boxes, short side {o.Input.MinSize} px");
        table.AddRow("training", $"{r.Steps} steps × {r.BatchSize} images{(r.ResumedFromStep > 0 ? $" (resumed at step {r.ResumedFromStep})" : "")}, {r.TrainSeconds:F0} s, {r.ImagesPerSecond:F1} images/s");
        table.AddRow("final loss", r.FinalLoss.ToString("F4", CultureInfo.InvariantCulture));
        if (r.Recall is { } rec)
            foreach (var a in rec.AtK)
                table.AddRow($"recall@{a.K} (IoU {rec.Iou:0.##})", $"all {Pct(a.All.Recall)}  base {Pct(a.Base.Recall)}  novel {Pct(a.Novel.Recall)}  [grey]({rec.Images} images)[/]");
        table.AddRow("model", Markup.Escape(r.ModelPath));
        CliOutput.Human.Write(table);
    }

    private static object Summary(RpnTrainingResult r)
    {
        static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        static object Count(RecallCount c) => new { found = c.Found, total = c.Total, recall = N(c.Recall) };
        var o = r.Options;
        return new
        {
            model = r.ModelPath,
            checkpoint = r.CheckpointPath,
            log = r.LogPath,
            jsonLog = r.JsonLogPath,
            network = new
            {
                kind = r.Config.Kind.ToString(), depths = r.Config.ResNet.Depths, stemChannels = r.Config.ResNet.StemChannels,
                res2Channels = r.Config.ResNet.Res2Channels, bottleneckChannels = r.Config.ResNet.BottleneckChannels, norm = r.Config.ResNet.Norm.ToString(),
                anchorSizes = o.Model.EffectiveAnchorSizes(), aspectRatios = o.Model.AspectRatios, anchorsPerLocation = r.Config.NumAnchors, parameters = r.Parameters,
            },
            training = new
            {
                images = r.TrainImages, boxes = r.TrainBoxes, baseOnly = o.Data.BaseOnly, minSize = o.Input.MinSize, maxSize = o.Input.MaxSize,
                batchSize = r.BatchSize, steps = r.Steps, resumedFromStep = r.ResumedFromStep, optimizer = o.Solver.Optimizer.ToString(),
                learningRate = o.Solver.LearningRate, seed = o.Seed, loadSeconds = N(r.LoadSeconds), seconds = N(r.TrainSeconds),
                imagesPerSecond = N(r.ImagesPerSecond), finalLoss = N(r.FinalLoss), threads = Torch.torch.get_num_threads(),
            },
            recall = r.Recall is not { } rec ? null : new
            {
                images = rec.Images, iou = rec.Iou, nms = o.Evaluation.Nms, seconds = N(r.EvaluationSeconds),
                atK = rec.AtK.Select(a => new { k = a.K, all = Count(a.All), @base = Count(a.Base), novel = Count(a.Novel) }).ToArray(),
            },
        };
    }
}
