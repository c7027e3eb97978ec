using RegionClip.Cli.Demo;
using RegionClip.Training;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Demo;

/// <summary>A demo small enough for unit tests: 160×120 worlds, an 8-wide teacher, a narrow RPN and a few steps of each stage.</summary>
internal static class TinyDemo
{
    public static DemoOptions Options => new()
    {
        Seed = 5,
        TrainImages = 40,
        ValImages = 12,
        ImageWidth = 160,
        ImageHeight = 120,
        TrainSingleFraction = 0.5,
        DetectionShortSide = 96,
        Pictures = 2,
        PictureThreshold = 0.0,
        Teacher = new TeacherOptions
        {
            Model = new() { Resolution = 32, VisionWidth = 8, VisionLayers = [1, 1, 1, 1], EmbedDim = 16, TextWidth = 64, TextLayers = 1, ContextLength = 24 },
            Solver = new() { BatchSize = 8, Steps = 10, WarmupSteps = 2, CheckpointEvery = 4, LearningRate = 1e-3 },
        },
        Rpn = Rpn,
        ConceptMinCount = 2,
        Pretrain = Pretrain,
        Transfer = Transfer,
    };

    private static RegionClip.Training.Pretraining.PretrainOptions Pretrain
    {
        get
        {
            var p = DemoOptions.PretrainPreset(steps: 4, batchSize: 4);
            return p with
            {
                Regions = p.Regions with { PerImage = 5, RpnTopK = 5 },
                Input = p.Input with { MinSize = 96, MaxSize = 384 },
                Solver = p.Solver with { CheckpointEvery = 2 },
            };
        }
    }

    private static RegionClip.Training.Transfer.DetectorTrainOptions Transfer
    {
        get
        {
            var t = DemoOptions.TransferPreset(steps: 4);
            return t with
            {
                Regions = t.Regions with { PerImage = 32 },
                Input = t.Input with { MinSizes = [96], MaxSize = 384, TestMinSize = 96 },
                Solver = t.Solver with { CheckpointEvery = 2 },
            };
        }
    }

    private static RpnTrainingOptions Rpn
    {
        get
        {
            var quick = RpnTrainingOptions.Synthetic(quick: true);
            return quick with
            {
                Model = quick.Model with { StemChannels = 8, Res2Channels = 16, BottleneckChannels = 4, AnchorSizes = [[16, 32, 64]] },
                Solver = quick.Solver with { BatchSize = 4, Steps = 6, WarmupSteps = 2, CheckpointEvery = 3 },
                Evaluation = quick.Evaluation with { Images = 0 },
            };
        }
    }
}
