using System.CommandLine;
using System.Globalization;
using RegionClip.Common;
using RegionClip.Training;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>`train-teacher`: trains the synthetic world's CLIP teacher from scratch and checks it zero-shot.</summary>
internal static class TrainTeacherCommand
{
    internal static Command Create()
    {
        var world = new Option<string>("--world") { Description = "World folder written by `regionclip synth` (train split; val for the zero-shot check)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for teacher.pth, teacher_checkpoint.pth, teacher_log.csv and teacher.json", Required = true };
        var minutes = new Option<double?>("--minutes") { Description = "Train for about this many minutes (the step count is fixed from the first steps' speed; the config's solver.minutes)" };
        var steps = new Option<int?>("--steps") { Description = $"Optimisation steps (default {TeacherOptions.Default.Solver.Steps}; --quick {TeacherOptions.Quick.Solver.Steps}; the config's solver.steps)" };
        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training images instead of --steps (the config's solver.epochs)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights and of the data order (overrides the config's seed)", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/teacher_checkpoint.pth with its settings (bit-identical to an uninterrupted run at the same thread count)" };
        var quick = new Option<bool>("--quick") { Description = "The quick preset (about a minute; lower accuracy)" };
        var batch = new Option<int?>("--batch-size") { Description = $"Image–caption pairs per step (default {TeacherOptions.Default.Solver.BatchSize}; the config's solver.batch_size)" };
        var lr = new Option<double?>("--lr") { Description = $"Peak AdamW learning rate (default {TeacherOptions.Default.Solver.LearningRate.ToString(CultureInfo.InvariantCulture)}; the config's solver.learning_rate)" };
        var every = new Option<int?>("--checkpoint-every") { Description = $"Steps between checkpoints (default {TeacherOptions.Default.Solver.CheckpointEvery}; the config's solver.checkpoint_every)" };
        var noEval = new Option<bool>("--no-eval") { Description = "Skip the zero-shot check on the val split" };
        var report = new Option<string?>("--report") { Description = "Also write the JSON summary here (it always goes to OUT/teacher.json and stdout)" };
        var config = new Option<string?>("--config") { Description = "YAML file of teacher options over the preset: sections model (resolution, vision_width, …), solver (steps, learning_rate, …), input (horizontal_flip) and seed; flags override it" };
        var cmd = new Command("train-teacher", "Train a small CLIP teacher from scratch on a synthetic world's image–caption pairs; zero-shot top-1 on val single-object images")
        {
            world, output, config, steps, epochs, minutes, seed, resume, quick, batch, lr, every, noEval, report,
        };
        var launch = new DistributedLaunch.Options();
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            if (DistributedLaunch.LaunchIfAsked(pr, launch) is int exit) return exit;
            var options = pr.GetValue(quick) ? TeacherOptions.Quick : TeacherOptions.Default;
            if (pr.GetValue(config) is { } file) options = OptionsFile<TeacherOptions>.Load(file, options);
            // A run length on the command line replaces the file's, whichever unit the file used.
            bool lengthGiven = pr.GetValue(steps) is not null || pr.GetValue(epochs) is not null || pr.GetValue(minutes) is not null;
            var solver = options.Solver;
            options = options with
            {
                Seed = pr.GetResult(seed) is { Implicit: false } ? pr.GetValue(seed) : options.Seed,
                Solver = solver with
                {
                    Minutes = lengthGiven ? pr.GetValue(minutes) : solver.Minutes,
                    Steps = pr.GetValue(steps) ?? solver.Steps,
                    Epochs = lengthGiven ? pr.GetValue(epochs) : solver.Epochs,
                    BatchSize = pr.GetValue(batch) ?? solver.BatchSize,
                    LearningRate = pr.GetValue(lr) ?? solver.LearningRate,
                    CheckpointEvery = pr.GetValue(every) ?? solver.CheckpointEvery,
                },
            };
            if (new[] { pr.GetValue(minutes) is not null, pr.GetValue(epochs) is not null, pr.GetValue(steps) is not null }.Count(b => b) > 1)
                throw new ArgumentException("give one of --steps, --epochs or --minutes");
            options.Validate();
            var outDir = pr.GetValue(output)!;
            var trainer = new ClipTeacherTrainer(pr.GetValue(world)!, outDir, options);

            DistributedLaunch.JoinIfInJob();
            if (!Interruptible.TryRun(cancel => RunWithProgress(trainer, pr.GetValue(resume), !pr.GetValue(noEval), cancel),
                    $"checkpoint saved to {trainer.CheckpointPath}; rerun with --resume to continue", out var result))
                return Interruptible.InterruptedExitCode;
            PrintTable(result);
            var json = Summary(result);
            CliOutput.WriteJson(json, Path.Combine(outDir, "teacher.json"));
            if (pr.GetValue(report) is { } r) CliOutput.WriteJson(json, r);
            CliOutput.WriteJson(json, null);
            return 0;
        }));
        return cmd;
    }

    private static TeacherResult RunWithProgress(ClipTeacherTrainer trainer, bool resume, bool evaluate, CancellationToken cancel)
    {
        TeacherResult result = null!;
        CliProgress.Bars("img/s")
            .Start(ctx =>
            {
                var tasks = new Dictionary<TeacherPhase, ProgressTask>();
                ProgressTask Task(TeacherPhase phase, string label)
                {
                    if (!tasks.TryGetValue(phase, out var t))
                    {
                        foreach (var other in tasks.Values) if (!other.IsFinished) other.Value = other.MaxValue;
                        tasks[phase] = t = ctx.AddTask(label, maxValue: 1);
                    }
                    return t;
                }
                var progress = new SyncProgress<TeacherProgress>(p =>
                {
                    var task = p.Phase switch
                    {
                        TeacherPhase.LoadingImages => Task(p.Phase, "loading training images"),
                        TeacherPhase.Evaluating => Task(p.Phase, "zero-shot on val single-object images"),
                        _ => Task(p.Phase, "training"),
                    };
                    // A --minutes run learns its length after a few steps; until then the bar has no end.
                    task.MaxValue = p.Total > 0 ? p.Total : Math.Max(p.Done + 1, 1_000_000);
                    task.Value = p.Done;
                    if (p.Last is { } s)
                    {
                        task.Description = $"training [grey]epoch {s.Epoch + 1}[/] loss {s.Loss:F3} [grey]τ {s.Temperature:F3}[/]";
                        RateColumn.Report(task, s.ImagesPerSecond, 0.2);
                    }
                });
                result = trainer.Run(resume, evaluate, progress, cancel);
                foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    private static void PrintTable(TeacherResult r)
    {
        static string Pct(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
        var c = r.Config;
        var table = new Table().AddColumns("teacher", "value");
        table.AddRow("model", Markup.Escape($"ModifiedResNet w{c.VisionWidth} [{string.Join(",", c.VisionLayers)}] at {c.ImageResolution} px, text {c.TransformerLayers}×{c.TransformerWidth}, embed {c.EmbedDim} ({r.Parameters / 1e6:F2} M parameters)"));
        table.AddRow("training", $"{r.Steps} steps × {r.BatchSize} on {r.TrainImages} images{(r.ResumedFromStep > 0 ? $" (resumed at step {r.ResumedFromStep})" : "")}, {r.TrainSeconds:F0} s, {r.ImagesPerSecond:F0} images/s");
        table.AddRow("final loss", r.FinalLoss.ToString("F3", CultureInfo.InvariantCulture));
        if (r.ZeroShot is { } z)
        {
            table.AddRow("zero-shot top-1", $"{Pct(z.Top1)} of {z.Images} val single-object images");
            table.AddRow("  base / novel", $"{Pct(z.BaseTop1)} / {Pct(z.NovelTop1)}");
        }
        table.AddRow("teacher", Markup.Escape(r.TeacherPath));
        CliOutput.Human.Write(table);
    }

    private static object Summary(TeacherResult r)
    {
        static double? N(double v) => double.IsFinite(v) ? Math.Round(v, 6) : null;
        var z = r.ZeroShot;
        return new
        {
            teacher = r.TeacherPath,
            checkpoint = r.CheckpointPath,
            log = r.LogPath,
            model = new
            {
                resolution = r.Config.ImageResolution, visionWidth = r.Config.VisionWidth, visionLayers = r.Config.VisionLayers,
                embedDim = r.Config.EmbedDim, textWidth = r.Config.TransformerWidth, textLayers = r.Config.TransformerLayers,
                contextLength = r.Config.ContextLength, vocabulary = r.Config.VocabSize, parameters = r.Parameters,
            },
            training = new
            {
                images = r.TrainImages, batchSize = r.BatchSize, steps = r.Steps, resumedFromStep = r.ResumedFromStep,
                epochs = r.Options.Solver.Epochs, minutes = r.Options.Solver.Minutes,
                learningRate = r.Options.Solver.LearningRate, weightDecay = r.Options.Solver.WeightDecay, warmupSteps = r.Options.Solver.WarmupSteps,
                seed = r.Options.Seed, loadSeconds = N(r.LoadSeconds), seconds = N(r.TrainSeconds), imagesPerSecond = N(r.ImagesPerSecond), finalLoss = N(r.FinalLoss),
                threads = Torch.torch.get_num_threads(),
            },
            zeroShot = z is null ? null : new
            {
                split = "val", images = z.Images, correct = z.Correct, top1 = N(z.Top1), baseTop1 = N(z.BaseTop1), novelTop1 = N(z.NovelTop1),
                seconds = N(r.EvaluationSeconds),
                perClass = z.PerClass.Select(pc => new { name = pc.Name, novel = pc.Novel, images = pc.Images, correct = pc.Correct, top1 = N(pc.Top1) }).ToArray(),
            },
        };
    }
}
