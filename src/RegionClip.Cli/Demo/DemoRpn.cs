using RegionClip.Common;
using RegionClip.Structures;
using RegionClip.Training.Rpn;

namespace RegionClip.Cli.Demo;

/// <summary>The class-agnostic RPN the demo trained, and how well it recalls val boxes (100 proposals, IoU 0.5).</summary>
public sealed record DemoRpnResult(
    string ModelPath, string LogPath, long Steps, double TrainSeconds, double Recall100, double BaseRecall100, double NovelRecall100,
    IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> LossCurves);

/// <summary>
/// The demo's RPN stage: <see cref="RpnTrainer"/> on the train world's base-category boxes only (novel
/// objects are not targets), at the demo's detection size, then recall on the whole val world.
/// </summary>
internal static class DemoRpn
{
    public static DemoRpnResult Train(string worldDir, string rpnDir, DemoOptions options, bool resume, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var rpnOptions = options.Rpn with
        {
            Data = options.Rpn.Data with { World = worldDir, BaseOnly = true },
            Input = options.Rpn.Input with { MinSize = options.DetectionShortSide, MaxSize = options.DetectionResize.MaxSize },
            Out = rpnDir, Resume = resume, Seed = options.Seed,
        };
        var relay = progress is null ? null : new SyncProgress<RpnProgress>(p => progress.Report(p.Phase switch
        {
            RpnPhase.Loading => new DemoProgress(DemoStage.Rpn, "RPN: loading boxes", p.Done, p.Total),
            RpnPhase.Evaluating => new DemoProgress(DemoStage.Rpn, "RPN: recall on val", p.Done, p.Total),
            _ => new DemoProgress(DemoStage.Rpn, "RPN: training", p.Done, p.Total,
                p.Last is { } s ? $"loss {s.Loss:F3}" : null, p.Last?.ImagesPerSecond),
        }));
        var result = RpnTrainer.Run(rpnOptions, relay, cancel);
        var recall = result.Recall?.At(100);
        var steps = RpnTrainingLog.Read(result.LogPath);
        IReadOnlyList<(double, double)> Curve(Func<RpnStepRecord, double> value) => steps.Select(s => ((double)s.Step, value(s))).ToList();
        return new DemoRpnResult(result.ModelPath, result.LogPath, result.Steps, result.TrainSeconds,
            recall?.All.Recall ?? double.NaN, recall?.Base.Recall ?? double.NaN, recall?.Novel.Recall ?? double.NaN,
            [("objectness", Curve(s => s.ObjectnessLoss)), ("box", Curve(s => s.BoxLoss)), ("total", Curve(s => s.Loss))]);
    }
}
