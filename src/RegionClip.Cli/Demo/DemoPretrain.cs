using RegionClip.Common;
using RegionClip.Training.Engine;
using RegionClip.Training.Pretraining;

namespace RegionClip.Cli.Demo;

/// <summary>The RegionCLIP student the demo pretrained, with its loss curves.</summary>
public sealed record DemoPretrainResult(string ModelPath, string LogPath, long Steps, double TrainSeconds, double ImagesPerSecond,
    IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> LossCurves);

/// <summary>
/// The demo's RegionCLIP pretraining stage (<see cref="RegionTextPretrainer"/>): the frozen teacher labels the RPN's
/// proposals on the train images with the parsed concepts, and a student, started from the teacher, learns those
/// region–concept pairs (distillation + concept contrastive) and the captions (image–text contrastive).
/// </summary>
internal static class DemoPretrain
{
    public static DemoPretrainResult Train(string worldDir, string teacherPath, string rpnPath, string conceptsPath, string outDir, DemoOptions options,
        bool resume, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var o = options.Pretrain with
        {
            Model = options.Pretrain.Model with { Teacher = teacherPath, Student = teacherPath, Vocabulary = Path.Combine(worldDir, Synthetic.WorldVocabulary.FileName) },
            Data = options.Pretrain.Data with { Captions = Path.Combine(worldDir, "captions_train.json") },
            Regions = options.Pretrain.Regions with { Source = RegionSource.Rpn, Rpn = rpnPath },
            Concepts = options.Pretrain.Concepts with { Student = conceptsPath },
            Out = outDir, Seed = options.Seed, Resume = resume,
        };
        using var trainer = RegionTextPretrainer.Create(o, cancel: cancel);
        var relay = progress is null ? null : new SyncProgress<(TrainingState State, PretrainStepRecord? Last)>(p => progress.Report(
            new DemoProgress(DemoStage.Pretrain, "RegionCLIP pretraining", p.State.Step, p.State.TotalSteps,
                p.Last is { } s ? $"loss {s.Total:F3} (img–txt {s.ImageText:F3}, distill {s.Distillation:F3}, concept {s.Contrastive:F3})" : null,
                p.Last?.ImagesPerSecond)));
        var result = trainer.Run(relay, cancel);
        var log = JsonLinesLog<PretrainStepRecord>.Read(result.LogPath, PretrainStepRecord.Json);
        IReadOnlyList<(double, double)> Curve(Func<PretrainStepRecord, double> value) => log.Select(s => ((double)s.Step, value(s))).ToList();
        return new DemoPretrainResult(result.ModelPath, result.LogPath, result.Steps, result.TrainSeconds, result.ImagesPerSecond,
            [("image–text", Curve(s => s.ImageText)), ("distillation", Curve(s => s.Distillation)), ("concept contrastive", Curve(s => s.Contrastive)), ("total", Curve(s => s.Total))]);
    }
}
