using RegionClip.Common;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;

namespace RegionClip.Training.Rpn;

public enum RpnOptimizerKind { Sgd, AdamW }

public enum RpnSchedule { Cosine, Step }

/// <summary>
/// Everything a class-agnostic RPN training run needs: data, network, input, optimisation and
/// evaluation. Every field has a default; the YAML config file (<see cref="OptionsFile{TOptions}"/>) uses the
/// snake_case form of each name. <see cref="Synthetic"/> is the demo's preset.
/// </summary>
public sealed record RpnTrainingOptions
{
    // ---- data ------------------------------------------------------------------------------------
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
    /// <summary>Output folder: rpn.pth, rpn_checkpoint.pth, rpn_log.csv, rpn_log.json.</summary>
    [PathOption] public string Out { get; init; } = "rpn-out";
    /// <summary>Continue from OUT/rpn_checkpoint.pth when it exists (with the checkpoint's options).</summary>
    [JsonIgnore] public bool Resume { get; init; }

    // ---- network ---------------------------------------------------------------------------------
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

    // ---- input -----------------------------------------------------------------------------------
    /// <summary>detectron2's ResizeShortestEdge: the short side in pixels (evaluation, and training unless <see cref="TrainMinSizes"/>).</summary>
    public int MinSize { get; init; } = 240;
    /// <summary>Training short sides to choose from at random per image (detectron2's MIN_SIZE_TRAIN, "choice"); null: <see cref="MinSize"/>.</summary>
    public int[]? TrainMinSizes { get; init; }
    public int MaxSize { get; init; } = 1333;
    public bool HorizontalFlip { get; init; } = true;

    // ---- optimisation ----------------------------------------------------------------------------
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
    /// <summary>Anchors sampled per image (detectron2's RPN.BATCH_SIZE_PER_IMAGE).</summary>
    public int BatchSizePerImage { get; init; } = 256;
    public double PositiveFraction { get; init; } = 0.5;
    /// <summary>RPN.IOU_THRESHOLDS: below the first background, from the second foreground.</summary>
    public double[] IouThresholds { get; init; } = [0.3, 0.7];
    public double ObjectnessLossWeight { get; init; } = 1.0;
    public double BoxLossWeight { get; init; } = 1.0;
    public ulong Seed { get; init; }
    public int CheckpointEvery { get; init; } = 200;

    // ---- evaluation ------------------------------------------------------------------------------
    /// <summary>Evaluate recall every this many steps (0: only at the end).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Held-out images evaluated (0: all).</summary>
    public int EvalImages { get; init; }
    public double EvalNms { get; init; } = 0.7;
    /// <summary>Candidates kept by objectness before NMS (detectron2's 6000 for C4 is nearly every anchor of a 240–320 px image, and NMS over them dominates the evaluation's time).</summary>
    public int EvalPreNmsTopK { get; init; } = 1000;
    /// <summary>Recall is reported at each of these proposal counts.</summary>
    public int[] EvalTopK { get; init; } = [100, 300, 1000];
    public double EvalIou { get; init; } = 0.5;

    /// <summary>
    /// The demo's RPN (issue 7): the defaults — FPN (p2–p6) on a narrow four-stage ResNet with BatchNorm
    /// (0.19 M parameters), 240-px short side, anchors 16–256 px, AdamW — trained on the world's base
    /// boxes only. Full: 1,800 steps of 8 images; <paramref name="quick"/>: 300 steps and recall on 200 val images.
    /// </summary>
    public static RpnTrainingOptions Synthetic(bool quick = false) => new()
    {
        BaseOnly = true,
        Steps = quick ? 300 : 1800,
        EvalImages = quick ? 200 : 0,
    };

    /// <summary>The anchor sizes used: <see cref="AnchorSizes"/>, or 16–256 px (C4: one level of five sizes; FPN: 4 × each level's stride).</summary>
    public double[][] EffectiveAnchorSizes() => AnchorSizes
        ?? (Kind.IsSingleLevel() ? [[16, 32, 64, 128, 256]] : [[16], [32], [64], [128], [256]]);

    /// <summary>The network these options build.</summary>
    public RpnConfig NetworkConfig()
    {
        var resnet = new ResNetConfig(Depths, StemChannels, Res2Channels, BottleneckChannels, Norm);
        return RpnConfig.ForTraining(Kind, resnet, FpnChannels, EffectiveAnchorSizes(), AspectRatios, HeadConvDims);
    }

    /// <summary>The four data paths and the split file, made absolute, with defaults taken from <see cref="World"/>.</summary>
    public RpnTrainingOptions Resolved()
    {
        string? InWorld(string name) => World is null ? null : Path.Combine(World, name);
        string? IfExists(string? path) => path is not null && File.Exists(path) ? path : null;
        string? Full(string? path) => path is null ? null : Path.GetFullPath(path);
        var train = Full(TrainAnnotations ?? InWorld("instances_train.json"));
        var val = Full(ValAnnotations ?? IfExists(InWorld("instances_val.json")));
        return this with
        {
            World = Full(World),
            TrainAnnotations = train,
            TrainImages = Full(TrainImages) ?? (train is null ? null : Path.GetDirectoryName(train)),
            ValAnnotations = val,
            ValImages = Full(ValImages) ?? (val is null ? null : Path.GetDirectoryName(val)),
            CategorySplit = Full(CategorySplit ?? IfExists(InWorld(RegionClip.Synthetic.WorldWriter.CategorySplitFile))),
            Out = Path.GetFullPath(Out),
            ClipWeights = Full(ClipWeights),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field (in its config-file spelling) and the bad value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message) { if (!ok) throw new ArgumentException($"{field}: {message}"); }
        static string List<T>(IEnumerable<T>? xs) => $"[{string.Join(", ", xs ?? [])}]";
        Check(TrainAnnotations is not null || World is not null, "train_annotations", "no training data: give world (a `regionclip synth` folder) or train_annotations (a COCO instances JSON)");
        Check(!string.IsNullOrWhiteSpace(Out), "out", "the output folder must not be empty");
        Check(!ExcludeNovelImages || BaseOnly, "exclude_novel_images", "leaving out images with novel objects only makes sense with base_only: true");
        Check(Enum.IsDefined(Kind), "kind", $"unknown RPN kind {Kind}");
        int stages = Kind is RpnKind.Fpn or RpnKind.FpnLsj ? 4 : 3;
        Check(Depths is not null && Depths.Length == stages && Depths.All(d => d >= 1), "depths", $"a {Kind} backbone needs {stages} stage depths ≥ 1, got {List(Depths)}");
        Check(StemChannels >= 2 && StemChannels <= 4096, "stem_channels", $"must be in 2..4096, got {StemChannels}");
        Check(Res2Channels >= 1 && Res2Channels <= 8192, "res2_channels", $"must be in 1..8192, got {Res2Channels}");
        Check(BottleneckChannels >= 1 && BottleneckChannels <= 8192, "bottleneck_channels", $"must be in 1..8192, got {BottleneckChannels}");
        if (Kind == RpnKind.ClipC4)
        {
            Check(StemChannels % 2 == 0, "stem_channels", $"a CLIP tower's width must be even, got {StemChannels}");
            Check(BottleneckChannels == StemChannels && Res2Channels == 4 * StemChannels, "res2_channels",
                $"a CLIP tower of width w has bottleneck_channels w and res2_channels 4w; got width {StemChannels}, bottleneck {BottleneckChannels}, res2 {Res2Channels}");
        }
        Check(Enum.IsDefined(Norm) && Norm != NormKind.None, "norm", $"must be BatchNorm or Frozen, got {Norm}");
        Check(Norm == NormKind.BatchNorm || FreezeBackbone || ClipWeights is not null, "norm",
            "a Frozen norm cannot learn its statistics: train from scratch with BatchNorm, or load clip_weights");
        Check(Kind.IsSingleLevel() || FpnChannels >= 1, "fpn_channels", $"must be positive, got {FpnChannels}");
        Check(HeadConvDims is null || (HeadConvDims.Length >= 1 && HeadConvDims.All(d => d >= 1)), "head_conv_dims", $"must be positive widths, got {List(HeadConvDims)}");
        int levels = Kind.IsSingleLevel() ? 1 : 5;
        Check(AnchorSizes is null || ((AnchorSizes.Length == 1 || AnchorSizes.Length == levels) && AnchorSizes.All(s => s is { Length: > 0 } && s.All(v => v > 0 && double.IsFinite(v)))
              && AnchorSizes.Select(s => s.Length).Distinct().Count() == 1),
            "anchor_sizes", $"a {Kind} RPN needs {(levels == 1 ? "one list" : "one list, or one per level (5),")} of positive sizes of equal length, got [{string.Join("; ", (AnchorSizes ?? []).Select(s => List(s)))}]");
        Check(AspectRatios is { Length: > 0 } && AspectRatios.All(r => r > 0 && double.IsFinite(r)), "aspect_ratios", $"must be positive numbers, got {List(AspectRatios)}");
        Check(Kind == RpnKind.ClipC4 || ClipWeights is null, "clip_weights", $"only the ClipC4 kind starts from a CLIP checkpoint (kind is {Kind})");
        Check(!FreezeBackbone || Kind != RpnKind.ClipC4 || ClipWeights is not null, "freeze_backbone", "freezing a CLIP backbone needs clip_weights to start from");
        Check(MinSize >= 32 && MinSize <= 4096, "min_size", $"must be in 32..4096, got {MinSize}");
        Check(MaxSize >= MinSize && MaxSize <= 8192, "max_size", $"must be in min_size..8192, got {MaxSize}");
        Check(TrainMinSizes is null || (TrainMinSizes.Length > 0 && TrainMinSizes.All(s => s >= 32 && s <= MaxSize)), "train_min_sizes",
            $"must be short sides in 32..max_size, got {List(TrainMinSizes)}");
        Check(BatchSize >= 1 && BatchSize <= 1024, "batch_size", $"must be in 1..1024, got {BatchSize}");
        Check(Steps >= 1, "steps", $"must be at least 1, got {Steps}");
        Check(Enum.IsDefined(Optimizer), "optimizer", $"unknown optimizer {Optimizer}");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", $"must be positive, got {LearningRate}");
        Check(Momentum is >= 0 and < 1, "momentum", $"must be in [0, 1), got {Momentum}");
        Check(Beta2 is > 0 and < 1, "beta2", $"must be in (0, 1), got {Beta2}");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight_decay", $"must be ≥ 0, got {WeightDecay}");
        Check(Enum.IsDefined(Schedule), "schedule", $"unknown schedule {Schedule}");
        Check(Milestones is not null && Milestones.All(m => m >= 1) && Milestones.Zip(Milestones.Skip(1)).All(p => p.First < p.Second), "milestones", $"must be increasing positive steps, got {List(Milestones)}");
        Check(Gamma is > 0 and <= 1, "gamma", $"must be in (0, 1], got {Gamma}");
        Check(WarmupSteps >= 0, "warmup_steps", $"must be ≥ 0, got {WarmupSteps}");
        Check(WarmupFactor is > 0 and <= 1, "warmup_factor", $"must be in (0, 1], got {WarmupFactor}");
        Check(GradientClip >= 0 && double.IsFinite(GradientClip), "gradient_clip", $"must be ≥ 0 (0: off), got {GradientClip}");
        Check(BatchSizePerImage >= 1, "batch_size_per_image", $"must be at least 1, got {BatchSizePerImage}");
        Check(PositiveFraction is >= 0 and <= 1, "positive_fraction", $"must be in [0, 1], got {PositiveFraction}");
        Check(IouThresholds is { Length: 2 } && IouThresholds[0] >= 0 && IouThresholds[0] <= IouThresholds[1] && IouThresholds[1] <= 1, "iou_thresholds",
            $"must be [background_below, foreground_from] with 0 ≤ a ≤ b ≤ 1, got {List(IouThresholds)}");
        Check(ObjectnessLossWeight >= 0 && BoxLossWeight >= 0 && ObjectnessLossWeight + BoxLossWeight > 0, "objectness_loss_weight",
            $"loss weights must be ≥ 0 and not both 0, got {ObjectnessLossWeight} and {BoxLossWeight}");
        Check(CheckpointEvery >= 1, "checkpoint_every", $"must be at least 1, got {CheckpointEvery}");
        Check(EvalEvery >= 0, "eval_every", $"must be ≥ 0 (0: only at the end), got {EvalEvery}");
        Check(EvalImages >= 0, "eval_images", $"must be ≥ 0 (0: all), got {EvalImages}");
        Check(EvalNms is > 0 and <= 1, "eval_nms", $"must be in (0, 1], got {EvalNms}");
        Check(EvalPreNmsTopK >= 1, "eval_pre_nms_top_k", $"must be at least 1, got {EvalPreNmsTopK}");
        Check(EvalTopK is { Length: > 0 } && EvalTopK.All(k => k >= 1), "eval_top_k", $"must be positive proposal counts, got {List(EvalTopK)}");
        Check(EvalIou is > 0 and <= 1, "eval_iou", $"must be in (0, 1], got {EvalIou}");
    }
}
