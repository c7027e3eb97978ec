using System.Diagnostics;
using RegionClip.Common;
using RegionClip.Modeling.Proposals;
using RegionClip.Synthetic;
using RegionClip.Training;
using RegionClip.Training.Engine;

namespace RegionClip.Cli.Demo;

/// <summary>What a demo run produced; the report is built from it.</summary>
/// <param name="Evaluation">The CLIP teacher zero-shot (with crop-then-CLIP).</param>
/// <param name="StudentEvaluation">The RegionCLIP student zero-shot.</param>
/// <param name="Transfer">Open-vocabulary detectors trained on base boxes: from the teacher, then from the student.</param>
public sealed record DemoResult(
    string OutDir, DemoOptions Options, IReadOnlyList<WorldSummary?> Worlds, TeacherResult Teacher, DemoConceptsResult Concepts, DemoRpnResult Rpn,
    DemoPretrainResult Pretrain, DemoEvaluationResult Evaluation, DemoEvaluationResult StudentEvaluation, IReadOnlyList<DemoTransferRun> Transfer,
    IReadOnlyDictionary<DemoStage, double> StageSeconds, int Threads)
{
    public string ReportHtml => Path.Combine(OutDir, DemoReport.HtmlFile);
    public string ReportJson => Path.Combine(OutDir, DemoReport.JsonFile);
}

/// <summary>
/// `regionclip demo`: every stage of RegionCLIP on the embedded synthetic world, on a CPU, in minutes —
/// world → CLIP teacher trained from scratch on captions → concept pool parsed from the captions →
/// class-agnostic RPN on base boxes → RegionCLIP pretraining of a student from the teacher → zero-shot
/// detection of all categories on val by teacher and student (GT boxes and RPN proposals; region vs crop
/// for the teacher) → open-vocabulary transfer on base boxes from each → OUT/report.html and OUT/report.json. Checkpoints live in OUT; with <c>resume</c> an interrupted run
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
    public string PretrainDir => Path.Combine(OutDir, "pretrain");
    public string TransferDir(string init) => Path.Combine(OutDir, "transfer_" + init.ToLowerInvariant());

    /// <summary>
    /// Runs every stage. In a data-parallel job (a process group is initialized: `demo --nproc-per-node N`) every process
    /// trains its shard of each batch, and rank 0 alone writes the worlds, parses the concepts and reports (with the idle processes'
    /// threads), the ranks share the evaluations' images; it returns the result, the other ranks null.
    /// </summary>
    public DemoResult? Run(bool resume = false, IProgress<DemoProgress>? progress = null, CancellationToken cancel = default)
    {
        Options.Validate();
        var parallel = DataParallel.Current;
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

        var worlds = Timed(DemoStage.World, () => parallel.OnMain(() => WorldStage.Ensure(WorldDir, Options, progress, cancel)));
        var teacher = Timed(DemoStage.Teacher, () => TrainTeacher(resume, progress, cancel));
        var concepts = Timed(DemoStage.Concepts, () => parallel.OnMain(() => DemoConcepts.Parse(WorldDir, OutDir, Options, progress, cancel))
                                                      ?? DemoConcepts.Read(OutDir));
        var rpn = Timed(DemoStage.Rpn, () => DemoRpn.Train(WorldDir, RpnDir, Options, resume, progress, cancel));
        var pretrain = Timed(DemoStage.Pretrain, () =>
            DemoPretrain.Train(WorldDir, teacher.TeacherPath, rpn.ModelPath, concepts.PoolPath, PretrainDir, Options, resume, progress, cancel));
        var evaluations = Timed(DemoStage.Evaluation, () =>
        {
            using var network = ProposalNetwork.Load(rpn.ModelPath);
            return (Teacher: DemoEvaluation.Run(WorldDir, teacher.TeacherPath, DemoPaper.Clip, withCrops: true, network, Options, parallel, progress, cancel),
                    Student: DemoEvaluation.Run(WorldDir, pretrain.ModelPath, DemoPaper.RegionClip, withCrops: false, network, Options, parallel, progress, cancel));
        });
        var transfer = Timed(DemoStage.Transfer, () => new[] { (DemoPaper.Clip, teacher.TeacherPath), (DemoPaper.RegionClip, pretrain.ModelPath) }
            .Select(t => DemoTransfer.Train(t.Item1, t.Item2, WorldDir, rpn.ModelPath, TransferDir(t.Item1), Options, resume, progress, cancel)).ToList());
        if (!parallel.IsMain) return null;   // rank 0 reports for the job
        var result = new DemoResult(OutDir, Options, worlds!, teacher, concepts, rpn, pretrain, evaluations.Teacher, evaluations.Student, transfer, seconds,
            Torch.torch.get_num_threads() * parallel.LocalWorldSize);
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
