using RegionClip.Structures;
using RegionClip.Training;
using RegionClip.Training.Pretraining;
using RegionClip.Training.Rpn;
using RegionClip.Training.Transfer;

namespace RegionClip.Cli.Demo;

/// <summary>
/// Everything `regionclip demo` does, with the two presets: <see cref="Full"/> (about 20 minutes on two
/// cores) and <see cref="Quick"/> (a few minutes, for tests and a first look).
/// </summary>
public sealed record DemoOptions
{
    /// <summary>Seeds the worlds, the teacher and the RPN: the same seed gives the same run.</summary>
    public ulong Seed { get; init; }
    public int TrainImages { get; init; } = 4000;
    public int ValImages { get; init; } = 800;
    public int ImageWidth { get; init; } = 640;
    public int ImageHeight { get; init; } = 480;
    /// <summary>Single-object images in the train world: the teacher leaves its contrastive plateau much sooner with them.</summary>
    public double TrainSingleFraction { get; init; } = 0.3;
    public TeacherOptions Teacher { get; init; } = TeacherOptions.Default;
    /// <summary>The class-agnostic RPN (its data paths, output folder, seed and input size are set by the demo).</summary>
    public RpnTrainingOptions Rpn { get; init; } = RpnTrainingOptions.Synthetic();
    /// <summary>Concepts are the caption nouns seen at least this often in the train captions.</summary>
    public int ConceptMinCount { get; init; } = 5;
    /// <summary>RegionCLIP pretraining of the student (paths, output folder and seed are set by the demo).</summary>
    public PretrainOptions Pretrain { get; init; } = PretrainPreset(steps: 300, batchSize: 16);
    /// <summary>Open-vocabulary transfer, run twice with this schedule: from the teacher and from the student.</summary>
    public DetectorTrainOptions Transfer { get; init; } = TransferPreset(steps: 200);
    /// <summary>
    /// Short side of the detection input, for the RPN (trained at this size) and the region features
    /// alike: the 64-px teacher recognises regions best at 128–240 px.
    /// </summary>
    public int DetectionShortSide { get; init; } = 240;

    /// <summary>The zero-shot evaluation's region features (evaluate-zero-shot --precision); the demo itself keeps float32.</summary>
    public Modeling.Detection.InferencePrecision Precision { get; init; }
    /// <summary>Val images drawn with their detections in the report.</summary>
    public int Pictures { get; init; } = 6;
    /// <summary>Pictures show detections scoring above this.</summary>
    public double PictureThreshold { get; init; } = 0.3;
    public bool IsQuick { get; init; }

    public static DemoOptions Full { get; } = new();

    public static DemoOptions Quick { get; } = new()
    {
        TrainImages = 2000, ValImages = 200, Teacher = TeacherOptions.Quick, Rpn = RpnTrainingOptions.Synthetic(quick: true),
        Pretrain = PretrainPreset(steps: 100, batchSize: 8), Transfer = TransferPreset(steps: 60), Pictures = 4, IsQuick = true,
    };

    /// <summary>
    /// Pretraining at the demo's scale: 20 regions per image drawn from the RPN's 50 best proposals (objects and their
    /// parts, little background; the base-trained RPN ranks novel objects lower, so 20 best would miss more of them),
    /// the teacher's pseudo labels and the losses at temperature 0.07 (the 64-px teacher's own, not RN50's 0.01).
    /// The image–text loss is what lifts the student above its teacher (without it the region losses only copy the
    /// teacher), and it learns more from a batch of 16 than of 8: more captions to tell apart (docs/design-notes.md).
    /// </summary>
    public static PretrainOptions PretrainPreset(long steps, int batchSize) => new()
    {
        Regions = new() { Source = RegionSource.Rpn, PerImage = 20, RpnTopK = 50, RpnNms = 0.5 },
        Concepts = new() { Threshold = 0.1, TeacherTemperature = 0.07 },
        Input = new() { MinSize = 240, MaxSize = 960, HorizontalFlip = true },
        Solver = new()
        {
            BatchSize = batchSize, MaxSteps = steps, BaseLr = 0.002, WarmupSteps = steps / 6, Steps = [steps * 5 / 6], ClipNorm = 5.0, CheckpointEvery = 100,
        },
        Loss = new() { Temperature = 0.07 },
    };

    /// <summary>
    /// Transfer at the demo's scale: 128 RoIs per image, the detection size with scale jitter, RPN score fusion at test;
    /// res5 and the attention pool train (FREEZE_AT 4), so the region features below them stay the init's, at a third of
    /// the official 0.002: base-only fine-tuning erases the init's novel advantage the faster, the higher the rate
    /// (docs/design-notes.md, "Transfer on the synthetic world").
    /// </summary>
    public static DetectorTrainOptions TransferPreset(long steps) => new()
    {
        Model = new() { FreezeAt = 4 },
        Regions = new() { Source = TrainRegionSource.Rpn, PerImage = 128 },
        Input = new() { MinSizes = [224, 240, 256], MaxSize = 960, TestMinSize = 240 },
        Solver = new() { BatchSize = 4, MaxSteps = steps, BaseLr = 0.0007, WarmupSteps = steps / 4, Steps = [steps * 4 / 5], CheckpointEvery = 100 },
        Loss = new() { Temperature = 0.07 },
        Evaluation = new() { RpnFusion = true },
    };

    public DetectionResize DetectionResize => new(DetectionShortSide, 4 * DetectionShortSide);

    public void Validate()
    {
        if (TrainImages < 16) throw new ArgumentOutOfRangeException(nameof(TrainImages), TrainImages, "the demo needs at least 16 training images");
        if (ValImages < 4) throw new ArgumentOutOfRangeException(nameof(ValImages), ValImages, "the demo needs at least 4 val images");
        if (TrainSingleFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(TrainSingleFraction), TrainSingleFraction, "must be in [0, 1]");
        if (DetectionShortSide is < 32 or > 2048) throw new ArgumentOutOfRangeException(nameof(DetectionShortSide), DetectionShortSide, "must be in 32..2048 pixels");
        if (Pictures < 0) throw new ArgumentOutOfRangeException(nameof(Pictures), Pictures, "must not be negative");
        if (ConceptMinCount < 1) throw new ArgumentOutOfRangeException(nameof(ConceptMinCount), ConceptMinCount, "must be at least 1");
        Teacher.Validate();
    }
}
