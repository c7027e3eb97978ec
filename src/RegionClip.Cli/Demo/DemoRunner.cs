using System.Diagnostics;
using RegionClip.Common;
using RegionClip.Modeling.Proposals;
using RegionClip.Synthetic;
using RegionClip.Training;

namespace RegionClip.Cli.Demo;

/// <summary>What a demo run produced; the report is built from it.</summary>
public sealed record DemoResult(
    string OutDir, DemoOptions Options, IReadOnlyList<WorldSummary?> Worlds, TeacherResult Teacher, DemoRpnResult Rpn,
    DemoEvaluationResult Evaluation, IReadOnlyDictionary<DemoStage, double> StageSeconds, int Threads)
{
    public string ReportHtml => Path.Combine(OutDir, DemoReport.HtmlFile);
    public string ReportJson => Path.Combine(OutDir, DemoReport.JsonFile);
}

/// <summary>
/// `regionclip demo`: every stage of RegionCLIP on the embedded synthetic world, on a CPU, in minutes —
/// world → CLIP teacher trained from scratch on captions → class-agnostic RPN on base boxes →
/// zero-shot detection of all categories on val (GT boxes and RPN proposals), region vs crop →
/// OUT/report.html and OUT/report.json. Checkpoints live in OUT; with <c>resume</c> an interrupted run
/// continues where it stopped (finished worlds are reused, training resumes from its last
/// checkpoint) and ends with the numbers of an uninterrupted run.
/// </summary>
public sealed class DemoRunner(string outDir, DemoOptions options)
{
    public string OutDir { get; } = Path.GetFullPath(outDir);
    public DemoOptions Options { get; } = options;
    public string WorldDir => Path.Combine(OutDir, "world");
    public string TeacherDir => Path.Combine(OutDir, "teacher");
    public string RpnDir => Path.Combine(OutDir, "rpn");

    public DemoResult Run(bool resume = false, IProgress<DemoProgress>? progress = null, CancellationToken cancel = default)
    {
        Options.Validate();
        Directory.CreateDirectory(OutDir);
        var seconds = new Dictionary<DemoStage, double>();
        var clock = Stopwatch.StartNew();
        T Timed<T>(DemoStage stage, Func<T> work)
        {
            clock.Restart();
            var result = work();
            seconds[stage] = clock.Elapsed.TotalSeconds;
            return result;
        }

        var worlds = Timed(DemoStage.World, () => WorldStage.Ensure(WorldDir, Options, progress, cancel));
        var teacher = Timed(DemoStage.Teacher, () => TrainTeacher(resume, progress, cancel));
        var rpn = Timed(DemoStage.Rpn, () => DemoRpn.Train(WorldDir, RpnDir, Options, resume, progress, cancel));
        var evaluation = Timed(DemoStage.Evaluation, () =>
        {
            using var network = ProposalNetwork.Load(rpn.ModelPath);
            return DemoEvaluation.Run(WorldDir, teacher.TeacherPath, network, Options, progress, cancel);
        });
        var result = new DemoResult(OutDir, Options, worlds, teacher, rpn, evaluation, seconds, Torch.torch.get_num_threads());
        Timed(DemoStage.Report, () =>
        {
            progress?.Report(new DemoProgress(DemoStage.Report, "report", 0, 1));
            DemoReport.Write(result);
            progress?.Report(new DemoProgress(DemoStage.Report, "report", 1, 1));
            return 0;
        });
        return result;
    }

    private TeacherResult TrainTeacher(bool resume, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var trainer = new ClipTeacherTrainer(WorldDir, TeacherDir, Options.Teacher with { Seed = Options.Seed });
        var relay = progress is null ? null : new SyncProgress<TeacherProgress>(p => progress.Report(p.Phase switch
        {
            TeacherPhase.LoadingImages => new DemoProgress(DemoStage.Teacher, "teacher: loading images", p.Done, p.Total),
            TeacherPhase.Evaluating => new DemoProgress(DemoStage.Teacher, "teacher: zero-shot check", p.Done, p.Total),
            _ => new DemoProgress(DemoStage.Teacher, "teacher: training", p.Done, p.Total,
                p.Last is { } s ? $"loss {s.Loss:F3}" : null, p.Last?.ImagesPerSecond),
        }));
        return trainer.Run(resume, evaluate: true, relay, cancel);
    }
}
