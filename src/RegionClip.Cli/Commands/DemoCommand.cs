using System.CommandLine;
using RegionClip.Cli.Demo;
using RegionClip.Common;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>
/// The main job: RegionCLIP end to end on the embedded synthetic world (<see cref="DemoRunner"/>),
/// a progress bar per stage, the results table on stdout, OUT/report.html and OUT/report.json.
/// </summary>
internal static class DemoCommand
{
    internal static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for the worlds, checkpoints, report.html and report.json", DefaultValueFactory = _ => "regionclip-demo" };
        var quick = new Option<bool>("--quick") { Description = "Small worlds and short training (under 5 minutes on two cores; numbers too small to compare teacher and student)" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run in OUT: finished worlds are reused, training continues from its last checkpoint" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the worlds and of training: the same seed gives the same numbers (single-threaded: bit for bit)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("demo", "Run RegionCLIP end to end on the embedded synthetic world: a CLIP teacher from captions, concepts parsed from them, a class-agnostic RPN, RegionCLIP pretraining of a student, zero-shot detection and open-vocabulary transfer from teacher and student")
        {
            output, quick, resume, seed,
        };
        var launch = new DistributedLaunch.Options();
        launch.AddTo(cmd);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            // Small networks train faster as processes than as threads (README, "Multi-process training"): two
            // processes (threads split between them) unless told otherwise.
            if (DistributedLaunch.LaunchIfAsked(pr, launch, defaultPerNode: Environment.ProcessorCount >= 2 ? 2 : 1) is int exit)
                return exit;
            var options = (pr.GetValue(quick) ? DemoOptions.Quick : DemoOptions.Full) with { Seed = pr.GetValue(seed) };
            var runner = new DemoRunner(pr.GetValue(output)!, options);
            CliOutput.Human.MarkupLine($"[bold]RegionCLIP demo[/] ({(options.IsQuick ? "quick" : "full")}) → {Markup.Escape(runner.OutDir)}; "
                + $"libtorch {Markup.Escape(Torch.torch.version)}, {ThreadsPerProcess()}");
            DistributedLaunch.JoinIfInJob();
            if (!Interruptible.TryRun(cancel => RunWithProgress(runner, pr.GetValue(resume), cancel),
                    $"rerun with --resume --out {runner.OutDir} to continue", out var result))
                return Interruptible.InterruptedExitCode;
            if (result is null) return 0;   // another rank of the job: rank 0 reports
            var table = new Table().Title("RegionCLIP on the synthetic world").AddColumns("measure", "value");
            foreach (var (what, value) in DemoReport.Rows(result)) table.AddRow(Markup.Escape(what), Markup.Escape(value));
            var stdout = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            if (Console.IsOutputRedirected) stdout.Profile.Width = 160;
            stdout.Write(table);
            stdout.Write(PaperTable("Zero-shot region recognition (the paper's Table 4)", DemoPaper.ZeroShotHeader, DemoPaper.ZeroShotTable(result)));
            stdout.Write(PaperTable("Open-vocabulary transfer on base boxes (the paper's Table 1)", DemoPaper.TransferHeader, DemoPaper.TransferTable(result)));
            stdout.MarkupLine(Markup.Escape(DemoPaper.Verdict(result)));
            stdout.MarkupLine($"report: {Markup.Escape(result.ReportHtml)} (numbers: {Markup.Escape(result.ReportJson)}); {result.StageSeconds.Values.Sum():F0} s");
            return 0;
        }));
        return cmd;
    }

    /// <summary>"N threads", or "P processes × N threads each" in a multi-process job.</summary>
    private static string ThreadsPerProcess()
    {
        int threads = Torch.torch.get_num_threads();
        return int.TryParse(Environment.GetEnvironmentVariable("WORLD_SIZE"), out var n) && n > 1 ? $"{n} processes × {threads} threads each" : $"{threads} threads";
    }

    private static Table PaperTable(string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumns([.. header.Select(Markup.Escape)]);
        foreach (var row in rows) table.AddRow([.. row.Select(Markup.Escape)]);
        return table;
    }

    private static DemoResult? RunWithProgress(DemoRunner runner, bool resume, CancellationToken cancel)
    {
        var console = CliOutput.Human;
        if (!console.Profile.Capabilities.Interactive) return runner.Run(resume, new LogProgress(console), cancel);
        DemoResult? result = null;
        CliProgress.Bars()
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                ProgressTask? current = null;
                var progress = new SyncProgress<DemoProgress>(p =>
                {
                    var key = p.Step;
                    if (!tasks.TryGetValue(key, out var task))
                    {
                        if (current is not null) current.Value = current.MaxValue;
                        tasks[key] = task = ctx.AddTask(Markup.Escape(p.Step), maxValue: Math.Max(p.Total, 1));
                        current = task;
                    }
                    task.MaxValue = Math.Max(p.Total, 1);
                    task.Value = p.Done;
                    task.Description = Markup.Escape(p.Detail is null ? p.Step : $"{p.Step} {p.Detail}");
                    if (p.ItemsPerSecond is { } ips) RateColumn.Report(task, ips, 0.2);
                });
                result = runner.Run(resume, progress, cancel);
                foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    /// <summary>
    /// For logs and pipes (CI, redirected stderr), where a live bar would be redrawn line after line:
    /// one line when a step starts, every 15 seconds while it runs, and when it ends.
    /// </summary>
    private sealed class LogProgress(IAnsiConsole console) : IProgress<DemoProgress>
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private string? _step;
        private TimeSpan _last, _stepStart;
        private long _doneAtStart;
        private bool _ended;

        public void Report(DemoProgress p)
        {
            bool started = p.Step != _step, finished = p.Done >= p.Total && p.Total > 0;
            if (!started && (_ended || (!finished && _clock.Elapsed - _last < TimeSpan.FromSeconds(15)))) return;
            if (started) (_stepStart, _doneAtStart) = (_clock.Elapsed, p.Done);
            _step = p.Step;
            _last = _clock.Elapsed;
            _ended = finished;
            var rate = p.ItemsPerSecond is { } ips and > 0 ? $", {ips:0.0}/s" : "";
            double perItem = (_clock.Elapsed - _stepStart).TotalSeconds / Math.Max(p.Done - _doneAtStart, 1);
            var eta = finished || p.Done == _doneAtStart ? "" : $", ETA {TimeSpan.FromSeconds(Math.Min(perItem * (p.Total - p.Done), 359_999)):mm\\:ss}";
            var detail = p.Detail is null ? "" : $", {p.Detail}";
            console.MarkupLine(Markup.Escape($"[{_clock.Elapsed:mm\\:ss}] {p.Step}: {p.Done}/{p.Total}{rate}{eta}{detail}"));
        }
    }
}
