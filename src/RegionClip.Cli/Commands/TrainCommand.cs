using System.CommandLine;
using System.Globalization;
using RegionClip.Common;
using RegionClip.Training.Transfer;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>`train`: transfer learning — an open-vocabulary (base categories) or fully supervised detector from a RegionCLIP or CLIP encoder.</summary>
internal static class TrainCommand
{
    internal static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "YAML file of training options: sections model, data, regions, input, solver, loss, evaluation (every field optional)" };
        var preset = new Option<string>("--preset") { Description = "Defaults the config starts from: coco (focal loss γ 0.5, background 0.2, 90k steps) or lvis (weighted CE, background 0.8, repeat-factor sampling, RPN fusion, 180k steps)", DefaultValueFactory = _ => "coco" };
        var output = new Option<string?>("--out") { Description = "Output folder (train_log.jsonl, train_checkpoint.pth, model_final.pth, train_result.json); overrides the config's out" };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/train_checkpoint.pth with its settings" };
        var set = new Option<string[]>("--set") { Description = "Override one config field, section.field=value (YAML value), e.g. --set solver.base_lr=0.01 --set data.categories=all; repeatable", AllowMultipleArgumentsPerToken = false };
        var steps = new Option<long?>("--steps") { Description = "Optimisation steps (solver.max_steps)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the data order, scales, flips and RoI sampling" };
        var report = new Option<string?>("--report") { Description = "Also write the JSON summary here (it always goes to OUT/train_result.json and stdout)" };
        var cmd = new Command("train", "Transfer learning: a detector initialised from a RegionCLIP (or CLIP) encoder, classes as frozen text embeddings, trained on base categories (open-vocabulary) or all, evaluated on every category")
        {
            config, preset, output, resume, set, steps, seed, report,
        };
        var launch = new DistributedLaunch.Options();
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            if (DistributedLaunch.LaunchIfAsked(pr, launch) is int exit) return exit;
            var options = DetectorTrainOptions.Preset(pr.GetValue(preset)!);
            var configPath = pr.GetValue(config);
            if (configPath is not null) options = OptionsFile<DetectorTrainOptions>.Load(configPath, options);
            options = OptionsFile<DetectorTrainOptions>.Override(options, pr.GetValue(set) ?? [], Directory.GetCurrentDirectory());
            options = options with
            {
                Out = pr.GetValue(output) ?? options.Out,
                Seed = pr.GetValue(seed) ?? options.Seed,
                Solver = options.Solver with { MaxSteps = pr.GetValue(steps) ?? options.Solver.MaxSteps },
                Resume = pr.GetValue(resume),
            };
            bool resuming = options.Resume && File.Exists(Path.Combine(Path.GetFullPath(options.Out), DetectorTrainer.CheckpointFile));
            try
            {
                if (!resuming) options.Resolved().Validate();
            }
            catch (ArgumentException e) when (configPath is not null)
            {
                throw new ArgumentException($"{configPath}: {e.Message}", e);
            }

            var checkpoint = Path.Combine(Path.GetFullPath(options.Out), DetectorTrainer.CheckpointFile);
            DistributedLaunch.JoinIfInJob();
            if (!Interruptible.TryRun(cancel => RunWithProgress(options, cancel), $"checkpoint saved to {checkpoint}; rerun with --resume to continue", out var run))
                return Interruptible.InterruptedExitCode;
            var (result, final) = run;
            PrintTable(result, final);
            var json = Summary(result, final);
            CliOutput.WriteJson(json, Path.Combine(final.Out, "train_result.json"));
            if (pr.GetValue(report) is { } r) CliOutput.WriteJson(json, r);
            CliOutput.WriteJson(json, null);
            return 0;
        }));
        return cmd;
    }

    private static (DetectorTrainResult, DetectorTrainOptions) RunWithProgress(DetectorTrainOptions options, CancellationToken cancel)
    {
        DetectorTrainResult result = null!;
        DetectorTrainOptions used = options;
        CliProgress.Bars("img/s").Start(ctx =>
        {
            var concepts = ctx.AddTask("embedding class names", maxValue: 1);
            var conceptProgress = new SyncProgress<int>(n => { concepts.MaxValue = Math.Max(concepts.MaxValue, n + 1); concepts.Value = n; });
            using var trainer = DetectorTrainer.Create(options, message => CliOutput.Warn(message), conceptProgress, cancel);
            concepts.Value = concepts.MaxValue;
            used = trainer.Options;
            var training = ctx.AddTask("training", maxValue: Math.Max(1, trainer.State.TotalSteps));
            training.Value = trainer.State.Step;
            ProgressTask? evaluation = null;
            var progress = new SyncProgress<(Training.Engine.TrainingState State, DetectorStepRecord? Last)>(p =>
            {
                training.Value = p.State.Step;
                if (p.Last is { } s)
                {
                    training.Description = $"training [grey]epoch {p.State.Epoch + 1}[/] loss {s.Total:F3} [grey](cls {s.Classification:F3}, box {s.BoxRegression:F3}; {s.Foreground}/{s.Rois} fg)[/]";
                    RateColumn.Report(training, s.ImagesPerSecond, 0.1);
                }
            });
            var evalProgress = new SyncProgress<(int Done, int Total)>(p =>
            {
                evaluation ??= ctx.AddTask("evaluating", maxValue: p.Total);
                evaluation.MaxValue = p.Total;
                evaluation.Value = p.Done;
            });
            result = trainer.Run(progress, evalProgress, (step, e) =>
            {
                if (evaluation is not null) evaluation.Description = $"evaluating [grey](step {step}: novel {100 * e.Novel:F1}, base {100 * e.Base:F1}, all {100 * e.All:F1})[/]";
            }, cancel);
        });
        return (result, used);
    }

    private static void PrintTable(DetectorTrainResult r, DetectorTrainOptions o)
    {
        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("training", "value");
        table.AddRow("data", Markup.Escape($"{r.Images} images, {r.TrainClasses} training classes ({o.Data.Categories.ToString().ToLowerInvariant()}) of {o.Data.TrainAnnotations}{(r.SkippedImages > 0 ? $"; {r.SkippedImages} unreadable images skipped" : "")}"));
        table.AddRow("regions", Markup.Escape($"{o.Regions.Source.ToString().ToLowerInvariant()}, {o.Regions.PerImage} RoIs per image; short sides {string.Join("/", o.Input.MinSizes)} px"));
        table.AddRow("training", $"{r.Steps} steps × {o.Solver.BatchSize} images{(r.ResumedFromStep > 0 ? $" (resumed at step {r.ResumedFromStep})" : "")}, {r.TrainSeconds:F0} s, {r.ImagesPerSecond:F2} images/s, {r.TrainableParameters / 1e6:F2} M trainable parameters");
        if (r.Last is { } s) table.AddRow("last step", $"total {F(s.Total)}: loss_cls {F(s.Classification)}, loss_box_reg {F(s.BoxRegression)}; {s.Foreground}/{s.Rois} foreground RoIs");
        if (r.Evaluation is { } e)
            table.AddRow("evaluation", Markup.Escape($"{e.Images} images, {r.TestClasses} classes: {string.Join(", ", e.Split.Select(kv => $"{kv.Key} {100 * kv.Value:F1}"))}"));
        table.AddRow("model", Markup.Escape(r.ModelPath));
        CliOutput.Human.Write(table);
    }

    private static object Summary(DetectorTrainResult r, DetectorTrainOptions o)
    {
        static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        return new
        {
            model = r.ModelPath,
            checkpoint = r.CheckpointPath,
            log = r.LogPath,
            data = new { annotations = o.Data.TrainAnnotations, images = r.Images, skippedImages = r.SkippedImages, categories = o.Data.Categories.ToString().ToLowerInvariant(), trainClasses = r.TrainClasses, testClasses = r.TestClasses },
            training = new
            {
                init = o.Model.Init, steps = r.Steps, resumedFromStep = r.ResumedFromStep, batchSize = o.Solver.BatchSize, baseLr = o.Solver.BaseLr, seed = o.Seed,
                seconds = N(r.TrainSeconds), imagesPerSecond = N(r.ImagesPerSecond), trainableParameters = r.TrainableParameters, threads = Torch.torch.get_num_threads(),
            },
            last = r.Last is not { } s ? null : new { step = s.Step, loss_cls = N(s.Classification), loss_box_reg = N(s.BoxRegression), loss_total = N(s.Total), rois = s.Rois, foreground = s.Foreground },
            evaluation = r.Evaluation is not { } e ? null : new
            {
                images = e.Images, detections = e.Detections, seconds = N(e.Seconds),
                split = e.Split.ToDictionary(kv => kv.Key, kv => N(kv.Value)),
                metrics = e.Standard.ToDictionary(kv => kv.Key, kv => N(kv.Value)),
            },
        };
    }
}
