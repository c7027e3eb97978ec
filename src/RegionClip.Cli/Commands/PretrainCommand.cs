using System.CommandLine;
using System.Globalization;
using RegionClip.Common;
using RegionClip.Training.Pretraining;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>`pretrain`: RegionCLIP's region–text pretraining of a student visual encoder from image–caption pairs.</summary>
internal static class PretrainCommand
{
    internal static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "YAML file of pretraining options: sections model, data, regions, concepts, input, solver, loss (every field optional)" };
        var output = new Option<string?>("--out") { Description = "Output folder (pretrain_log.jsonl, pretrain_checkpoint.pth, model_final.pth, pretrain_result.json); overrides the config's out" };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/pretrain_checkpoint.pth with its settings (identical to an uninterrupted run at the same thread count)" };
        var set = new Option<string[]>("--set") { Description = "Override one config field, section.field=value (YAML value), e.g. --set solver.base_lr=0.01 --set regions.source=file; repeatable", AllowMultipleArgumentsPerToken = false };
        var steps = new Option<long?>("--steps") { Description = "Optimisation steps (solver.max_steps)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the data order, caption choice, flips and region sampling" };
        var report = new Option<string?>("--report") { Description = "Also write the JSON summary here (it always goes to OUT/pretrain_result.json and stdout)" };
        var cmd = new Command("pretrain", "RegionCLIP pretraining: a frozen CLIP teacher labels proposed regions with concepts; a student visual encoder learns them (distillation + concept contrastive) and the captions (image–text contrastive)")
        {
            config, output, resume, set, steps, seed, report,
        };
        var launch = new DistributedLaunch.Options();
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            if (DistributedLaunch.LaunchIfAsked(pr, launch) is int exit) return exit;
            var options = new PretrainOptions();
            var configPath = pr.GetValue(config);
            if (configPath is not null) options = OptionsFile<PretrainOptions>.Load(configPath, options);
            options = OptionsFile<PretrainOptions>.Override(options, pr.GetValue(set) ?? [], Directory.GetCurrentDirectory());
            options = options with
            {
                Out = pr.GetValue(output) ?? options.Out,
                Seed = pr.GetValue(seed) ?? options.Seed,
                Solver = options.Solver with { MaxSteps = pr.GetValue(steps) ?? options.Solver.MaxSteps },
                Resume = pr.GetValue(resume),
            };
            bool resuming = options.Resume && File.Exists(Path.Combine(Path.GetFullPath(options.Out), RegionTextPretrainer.CheckpointFile));
            try
            {
                if (!resuming) options.Validate();
            }
            catch (ArgumentException e) when (configPath is not null)
            {
                throw new ArgumentException($"{configPath}: {e.Message}", e);
            }

            var checkpoint = Path.Combine(Path.GetFullPath(options.Out), RegionTextPretrainer.CheckpointFile);
            DistributedLaunch.JoinIfInJob();
            if (!Interruptible.TryRun(cancel => RunWithProgress(options, cancel), $"checkpoint saved to {checkpoint}; rerun with --resume to continue", out var run))
                return Interruptible.InterruptedExitCode;
            var (result, final) = run;
            PrintTable(result, final);
            var json = Summary(result, final);
            CliOutput.WriteJson(json, Path.Combine(final.Out, "pretrain_result.json"));
            if (pr.GetValue(report) is { } r) CliOutput.WriteJson(json, r);
            CliOutput.WriteJson(json, null);
            return 0;
        }));
        return cmd;
    }

    private static (PretrainResult, PretrainOptions) RunWithProgress(PretrainOptions options, CancellationToken cancel)
    {
        PretrainResult result = null!;
        PretrainOptions used = options;
        CliProgress.Bars("img/s").Start(ctx =>
        {
            var concepts = ctx.AddTask("embedding concepts", maxValue: 1);
            var conceptProgress = new SyncProgress<int>(n => { concepts.MaxValue = Math.Max(concepts.MaxValue, n + 1); concepts.Value = n; });
            using var trainer = RegionTextPretrainer.Create(options, message => CliOutput.Warn(message), conceptProgress, cancel);
            concepts.Value = concepts.MaxValue;
            used = trainer.Options;
            var training = ctx.AddTask("pretraining", maxValue: Math.Max(1, trainer.State.TotalSteps));
            training.Value = trainer.State.Step;
            var progress = new SyncProgress<(Training.Engine.TrainingState State, PretrainStepRecord? Last)>(p =>
            {
                training.Value = p.State.Step;
                if (p.Last is { } s)
                {
                    training.Description = $"pretraining [grey]epoch {p.State.Epoch + 1}[/] loss {s.Total:F3} [grey](img–txt {s.ImageText:F3}, distill {s.Distillation:F3}, concept {s.Contrastive:F3}; kept {s.KeptRegions}/{s.Regions})[/]";
                    RateColumn.Report(training, s.ImagesPerSecond, 0.1);
                }
            });
            result = trainer.Run(progress, cancel);
        });
        return (result, used);
    }

    private static void PrintTable(PretrainResult r, PretrainOptions o)
    {
        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("pretraining", "value");
        table.AddRow("data", Markup.Escape($"{r.Images} image–caption pairs ({o.Data.Captions}){(r.SkippedImages > 0 ? $", {r.SkippedImages} unreadable images skipped" : "")}"));
        table.AddRow("regions", Markup.Escape($"{o.Regions.Source.ToString().ToLowerInvariant()}, {o.Regions.PerImage} per image; short side {o.Input.MinSize} px"));
        table.AddRow("training", $"{r.Steps} steps × {o.Solver.BatchSize} images{(r.ResumedFromStep > 0 ? $" (resumed at step {r.ResumedFromStep})" : "")}, {r.TrainSeconds:F0} s, {r.ImagesPerSecond:F2} images/s, {r.TrainableParameters / 1e6:F2} M trainable parameters");
        if (r.Last is { } s)
            table.AddRow("last step", $"total {F(s.Total)}: img–txt {F(s.ImageText)}, distill {F(s.Distillation)}, concept {F(s.Contrastive)}; kept {s.KeptRegions}/{s.Regions} regions");
        table.AddRow("model", Markup.Escape(r.ModelPath));
        CliOutput.Human.Write(table);
    }

    private static object Summary(PretrainResult r, PretrainOptions o)
    {
        static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        return new
        {
            model = r.ModelPath,
            checkpoint = r.CheckpointPath,
            log = r.LogPath,
            data = new { captions = o.Data.Captions, images = r.Images, skippedImages = r.SkippedImages },
            training = new
            {
                steps = r.Steps, resumedFromStep = r.ResumedFromStep, batchSize = o.Solver.BatchSize, baseLr = o.Solver.BaseLr, seed = o.Seed,
                seconds = N(r.TrainSeconds), imagesPerSecond = N(r.ImagesPerSecond), trainableParameters = r.TrainableParameters,
                threads = Torch.torch.get_num_threads(),
            },
            last = r.Last is not { } s ? null : new
            {
                step = s.Step, loss_img_txt_level = N(s.ImageText), loss_region_distill = N(s.Distillation), loss_concept_contrastive = N(s.Contrastive),
                loss_total = N(s.Total), kept_regions = s.KeptRegions, regions = s.Regions,
            },
        };
    }
}
