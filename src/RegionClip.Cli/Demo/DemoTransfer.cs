using RegionClip.Common;
using RegionClip.Training.Engine;
using RegionClip.Training.Transfer;

namespace RegionClip.Cli.Demo;

/// <summary>One open-vocabulary detector the demo trained on base boxes, and its val AP50 over novel, base and all categories.</summary>
public sealed record DemoTransferRun(string Init, string ModelPath, string LogPath, long Steps, double TrainSeconds,
    double Ap50Novel, double Ap50Base, double Ap50All, double EvaluationSeconds, IReadOnlyList<(double X, double Y)> LossCurve);

/// <summary>
/// The demo's transfer stage (the paper's Table 1 in miniature): an open-vocabulary detector trained on the train
/// world's base-category boxes with the same schedule twice — initialised from the CLIP teacher and from the RegionCLIP
/// student — then evaluated on every val category.
/// </summary>
internal static class DemoTransfer
{
    public static DemoTransferRun Train(string name, string init, string worldDir, string rpnPath, string outDir, DemoOptions options, bool resume,
        IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var o = options.Transfer with
        {
            Model = options.Transfer.Model with { Init = init, Vocabulary = Path.Combine(worldDir, Synthetic.WorldVocabulary.FileName) },
            Data = options.Transfer.Data with { World = worldDir, Categories = TrainCategories.Base },
            Regions = options.Transfer.Regions with { Source = TrainRegionSource.Rpn, Rpn = rpnPath },
            Evaluation = options.Transfer.Evaluation with { Enabled = true },
            Out = outDir, Seed = options.Seed, Resume = resume,
        };
        using var trainer = DetectorTrainer.Create(o, cancel: cancel);
        var relay = progress is null ? null : new SyncProgress<(TrainingState State, DetectorStepRecord? Last)>(p => progress.Report(
            new DemoProgress(DemoStage.Transfer, $"transfer from {name}: training", p.State.Step, p.State.TotalSteps,
                p.Last is { } s ? $"loss {s.Total:F3} (cls {s.Classification:F3}, box {s.BoxRegression:F3})" : null, p.Last?.ImagesPerSecond)));
        var evaluation = progress is null ? null : new SyncProgress<(int Done, int Total)>(p =>
            progress.Report(new DemoProgress(DemoStage.Transfer, $"transfer from {name}: val detection", p.Done, p.Total)));
        var result = trainer.Run(relay, evaluation, cancel: cancel);
        var log = JsonLinesLog<DetectorStepRecord>.Read(result.LogPath, DetectorStepRecord.Json);
        var e = result.Evaluation;   // the ranks of a data-parallel job share the evaluation and all hold its numbers
        return new DemoTransferRun(name, result.ModelPath, result.LogPath, result.Steps, result.TrainSeconds,
            e?.Novel ?? double.NaN, e?.Base ?? double.NaN, e?.All ?? double.NaN, e?.Seconds ?? 0, [.. log.Select(s => ((double)s.Step, s.Total))]);
    }
}
