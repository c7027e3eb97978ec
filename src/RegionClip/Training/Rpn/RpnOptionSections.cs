using RegionClip.Common;
using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;

namespace RegionClip.Training.Rpn;

/// <summary>The <c>data:</c> section of <see cref="RpnTrainingOptions"/>: where the boxes come from and which of them are targets.</summary>
public sealed record RpnDataOptions
{
    /// <summary>A synthetic world folder: the defaults of the four paths and the category split come from it.</summary>
    [PathOption] public string? World { get; init; }
    /// <summary>COCO instances JSON of the training images (default WORLD/instances_train.json).</summary>
    [PathOption] public string? TrainAnnotations { get; init; }
    /// <summary>Folder the training JSON's file names are relative to (default: the JSON's folder).</summary>
    [PathOption] public string? TrainImages { get; init; }
    /// <summary>COCO instances JSON of the held-out images (default WORLD/instances_val.json when it exists; none: no evaluation).</summary>
    [PathOption] public string? ValAnnotations { get; init; }
    [PathOption] public string? ValImages { get; init; }
    /// <summary>{"base": [names], "novel": [names]} (default WORLD/category_split.json when it exists).</summary>
    [PathOption] public string? CategorySplit { get; init; }
    /// <summary>Train on base categories' boxes only: novel objects are not targets (as the official RPNs trained on base classes).</summary>
    public bool BaseOnly { get; init; }
    /// <summary>
    /// Also leave out every training image that shows a novel object, so the RPN never sees one (not even
    /// as background). Stricter than the official protocol (<see cref="BaseOnly"/> alone); needs a category split.
    /// </summary>
    public bool ExcludeNovelImages { get; init; }
}

/// <summary>
/// The <c>model:</c> section of <see cref="RpnTrainingOptions"/>: backbone, anchors and, as detectron2's
/// MODEL.RPN, the anchor matching, sampling and loss weights.
/// </summary>
public sealed record RpnModelOptions
{
    /// <summary>FPN by default: on the synthetic world it beat C4 at every size tried (docs/design-notes.md, "RPN training").</summary>
    public RpnKind Kind { get; init; } = RpnKind.Fpn;
    /// <summary>Blocks per stage from res2 (C4: 3 stages; FPN: 4) or CLIP's layer1..layer3 depths.</summary>
    public int[] Depths { get; init; } = [1, 1, 1, 1];
    /// <summary>Stem width (CLIP: the tower's width).</summary>
    public int StemChannels { get; init; } = 16;
    /// <summary>res2 output width; doubles per stage (CLIP: 4 × width).</summary>
    public int Res2Channels { get; init; } = 32;
    /// <summary>res2 bottleneck width; doubles per stage (CLIP: width).</summary>
    public int BottleneckChannels { get; init; } = 8;
    /// <summary>BatchNorm trains from scratch; Frozen keeps loaded statistics (a CLIP backbone).</summary>
    public NormKind Norm { get; init; } = NormKind.BatchNorm;
    public int FpnChannels { get; init; } = 32;
    /// <summary>Widths of the head's 3×3 convs (null: one conv as wide as the features, detectron2's head).</summary>
    public long[]? HeadConvDims { get; init; }
    /// <summary>
    /// Anchor sizes in input pixels: one list for C4, one per level p2..p6 (or one for all) for FPN. Null:
    /// 16–256 px (<see cref="EffectiveAnchorSizes"/>), for objects of 10–170 px such as the synthetic world's
    /// at a 240-px short side; the official ones (for 800-px images) are 32–512 and must be given explicitly.
    /// </summary>
    public double[][]? AnchorSizes { get; init; }
    public double[] AspectRatios { get; init; } = [0.5, 1.0, 2.0];
    /// <summary>ClipC4: initialise the backbone from this CLIP checkpoint's visual tower (e.g. the demo's teacher.pth).</summary>
    [PathOption] public string? ClipWeights { get; init; }
    /// <summary>Keep the backbone's weights and BN statistics fixed (only the head learns).</summary>
    public bool FreezeBackbone { get; init; }
    /// <summary>Anchors sampled per image (detectron2's RPN.BATCH_SIZE_PER_IMAGE).</summary>
    public int BatchSizePerImage { get; init; } = 256;
    public double PositiveFraction { get; init; } = 0.5;
    /// <summary>RPN.IOU_THRESHOLDS: below the first background, from the second foreground.</summary>
    public double[] IouThresholds { get; init; } = [0.3, 0.7];
    public double ObjectnessLossWeight { get; init; } = 1.0;
    public double BoxLossWeight { get; init; } = 1.0;

    /// <summary>The anchor sizes used: <see cref="AnchorSizes"/>, or 16–256 px (C4: one level of five sizes; FPN: 4 × each level's stride).</summary>
    public double[][] EffectiveAnchorSizes() => AnchorSizes
        ?? (Kind.IsSingleLevel() ? [[16, 32, 64, 128, 256]] : [[16], [32], [64], [128], [256]]);

    /// <summary>The network these options build.</summary>
    public RpnConfig NetworkConfig()
    {
        var resnet = new ResNetConfig(Depths, StemChannels, Res2Channels, BottleneckChannels, Norm);
        return RpnConfig.ForTraining(Kind, resnet, FpnChannels, EffectiveAnchorSizes(), AspectRatios, HeadConvDims);
    }
}

/// <summary>The <c>input:</c> section of <see cref="RpnTrainingOptions"/>: detectron2's resize and flip of each image.</summary>
public sealed record RpnInputOptions
{
    /// <summary>detectron2's ResizeShortestEdge: the short side in pixels (evaluation, and training unless <see cref="TrainMinSizes"/>).</summary>
    public int MinSize { get; init; } = 240;
    /// <summary>Training short sides to choose from at random per image (detectron2's MIN_SIZE_TRAIN, "choice"); null: <see cref="MinSize"/>.</summary>
    public int[]? TrainMinSizes { get; init; }
    public int MaxSize { get; init; } = 1333;
    public bool HorizontalFlip { get; init; } = true;
}

/// <summary>The <c>solver:</c> section of <see cref="RpnTrainingOptions"/>: optimiser, schedule, run length and checkpoints.</summary>
public sealed record RpnSolverOptions
{
    public int BatchSize { get; init; } = 8;
    public int Steps { get; init; } = 1000;
    public RpnOptimizerKind Optimizer { get; init; } = RpnOptimizerKind.AdamW;
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>SGD momentum (AdamW: β1).</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>AdamW's β2.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Weight decay of convolution weights (norms and biases get none, detectron2's WEIGHT_DECAY_NORM 0).</summary>
    public double WeightDecay { get; init; } = 1e-4;
    public RpnSchedule Schedule { get; init; } = RpnSchedule.Cosine;
    /// <summary>Step schedule: the steps at which the rate is multiplied by <see cref="Gamma"/>.</summary>
    public long[] Milestones { get; init; } = [];
    public double Gamma { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 50;
    /// <summary>Warm-up starts at LearningRate × this (detectron2's WARMUP_FACTOR).</summary>
    public double WarmupFactor { get; init; } = 0.001;
    /// <summary>Global gradient-norm clip; 0 turns it off.</summary>
    public double GradientClip { get; init; } = 10.0;
    /// <summary>Write the resumable checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 200;
}

/// <summary>The <c>evaluation:</c> section of <see cref="RpnTrainingOptions"/>: recall on the held-out images.</summary>
public sealed record RpnEvaluationOptions
{
    /// <summary>Evaluate recall every this many steps (0: only at the end).</summary>
    public int Every { get; init; }
    /// <summary>Held-out images evaluated (0: all).</summary>
    public int Images { get; init; }
    public double Nms { get; init; } = 0.7;
    /// <summary>Candidates kept by objectness before NMS (detectron2's 6000 for C4 is nearly every anchor of a 240–320 px image, and NMS over them dominates the evaluation's time).</summary>
    public int PreNmsTopK { get; init; } = 1000;
    /// <summary>Recall is reported at each of these proposal counts.</summary>
    public int[] TopK { get; init; } = [100, 300, 1000];
    public double Iou { get; init; } = 0.5;
}
