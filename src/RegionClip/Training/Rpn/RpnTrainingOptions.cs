using RegionClip.Common;
using System.Text.Json.Serialization;
using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;

namespace RegionClip.Training.Rpn;

public enum RpnOptimizerKind { Sgd, AdamW }

public enum RpnSchedule { Cosine, Step }

/// <summary>
/// Everything a class-agnostic RPN training run needs, in detectron2-style sections: <see cref="Data"/>,
/// <see cref="Model"/>, <see cref="Input"/>, <see cref="Solver"/> and <see cref="Evaluation"/>. Every field has
/// a default; the YAML config file (<see cref="OptionsFile{TOptions}"/>) nests the sections and uses the
/// snake_case form of each name (<c>solver: {learning_rate: 0.002}</c>). <see cref="Synthetic"/> is the demo's preset.
/// </summary>
public sealed record RpnTrainingOptions
{
    public RpnDataOptions Data { get; init; } = new();
    public RpnModelOptions Model { get; init; } = new();
    public RpnInputOptions Input { get; init; } = new();
    public RpnSolverOptions Solver { get; init; } = new();
    public RpnEvaluationOptions Evaluation { get; init; } = new();
    /// <summary>Output folder: rpn.pth, rpn_checkpoint.pth, rpn_log.csv, rpn_log.json.</summary>
    [PathOption] public string Out { get; init; } = "rpn-out";
    public ulong Seed { get; init; }
    /// <summary>Continue from OUT/rpn_checkpoint.pth when it exists (with the checkpoint's options).</summary>
    [JsonIgnore] public bool Resume { get; init; }

    /// <summary>
    /// The demo's RPN (issue 7): the defaults — FPN (p2–p6) on a narrow four-stage ResNet with BatchNorm
    /// (0.19 M parameters), 240-px short side, anchors 16–256 px, AdamW — trained on the world's base
    /// boxes only. Full: 1,800 steps of 8 images; <paramref name="quick"/>: 300 steps and recall on 200 val images.
    /// </summary>
    public static RpnTrainingOptions Synthetic(bool quick = false) => new()
    {
        Data = new() { BaseOnly = true },
        Solver = new() { Steps = quick ? 300 : 1800 },
        Evaluation = new() { Images = quick ? 200 : 0 },
    };

    /// <summary>The four data paths and the split file, made absolute, with defaults taken from <see cref="RpnDataOptions.World"/>.</summary>
    public RpnTrainingOptions Resolved()
    {
        var data = Data;
        string? InWorld(string name) => data.World is null ? null : Path.Combine(data.World, name);
        string? IfExists(string? path) => path is not null && File.Exists(path) ? path : null;
        string? Full(string? path) => path is null ? null : Path.GetFullPath(path);
        var train = Full(data.TrainAnnotations ?? InWorld("instances_train.json"));
        var val = Full(data.ValAnnotations ?? IfExists(InWorld("instances_val.json")));
        return this with
        {
            Data = data with
            {
                World = Full(data.World),
                TrainAnnotations = train,
                TrainImages = Full(data.TrainImages) ?? (train is null ? null : Path.GetDirectoryName(train)),
                ValAnnotations = val,
                ValImages = Full(data.ValImages) ?? (val is null ? null : Path.GetDirectoryName(val)),
                CategorySplit = Full(data.CategorySplit ?? IfExists(InWorld(RegionClip.Synthetic.WorldWriter.CategorySplitFile))),
            },
            Model = Model with { ClipWeights = Full(Model.ClipWeights) },
            Out = Path.GetFullPath(Out),
        };
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the field (in its dotted config-file spelling, <c>solver.steps</c>) and the bad value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message) { if (!ok) throw new ArgumentException($"{field}: {message}"); }
        static string List<T>(IEnumerable<T>? xs) => $"[{string.Join(", ", xs ?? [])}]";
        var (d, m, i, s, e) = (Data, Model, Input, Solver, Evaluation);
        Check(d.TrainAnnotations is not null || d.World is not null, "data.train_annotations", "no training data: give world (a `regionclip synth` folder) or train_annotations (a COCO instances JSON)");
        Check(!string.IsNullOrWhiteSpace(Out), "out", "the output folder must not be empty");
        Check(!d.ExcludeNovelImages || d.BaseOnly, "data.exclude_novel_images", "leaving out images with novel objects only makes sense with base_only: true");
        Check(Enum.IsDefined(m.Kind), "model.kind", $"unknown RPN kind {m.Kind}");
        int stages = m.Kind is RpnKind.Fpn or RpnKind.FpnLsj ? 4 : 3;
        Check(m.Depths is not null && m.Depths.Length == stages && m.Depths.All(x => x >= 1), "model.depths", $"a {m.Kind} backbone needs {stages} stage depths ≥ 1, got {List(m.Depths)}");
        Check(m.StemChannels >= 2 && m.StemChannels <= 4096, "model.stem_channels", $"must be in 2..4096, got {m.StemChannels}");
        Check(m.Res2Channels >= 1 && m.Res2Channels <= 8192, "model.res2_channels", $"must be in 1..8192, got {m.Res2Channels}");
        Check(m.BottleneckChannels >= 1 && m.BottleneckChannels <= 8192, "model.bottleneck_channels", $"must be in 1..8192, got {m.BottleneckChannels}");
        if (m.Kind == RpnKind.ClipC4)
        {
            Check(m.StemChannels % 2 == 0, "model.stem_channels", $"a CLIP tower's width must be even, got {m.StemChannels}");
            Check(m.BottleneckChannels == m.StemChannels && m.Res2Channels == 4 * m.StemChannels, "model.res2_channels",
                $"a CLIP tower of width w has bottleneck_channels w and res2_channels 4w; got width {m.StemChannels}, bottleneck {m.BottleneckChannels}, res2 {m.Res2Channels}");
        }
        Check(Enum.IsDefined(m.Norm) && m.Norm != NormKind.None, "model.norm", $"must be BatchNorm or Frozen, got {m.Norm}");
        Check(m.Norm == NormKind.BatchNorm || m.FreezeBackbone || m.ClipWeights is not null, "model.norm",
            "a Frozen norm cannot learn its statistics: train from scratch with BatchNorm, or load clip_weights");
        Check(m.Kind.IsSingleLevel() || m.FpnChannels >= 1, "model.fpn_channels", $"must be positive, got {m.FpnChannels}");
        Check(m.HeadConvDims is null || (m.HeadConvDims.Length >= 1 && m.HeadConvDims.All(x => x >= 1)), "model.head_conv_dims", $"must be positive widths, got {List(m.HeadConvDims)}");
        int levels = m.Kind.IsSingleLevel() ? 1 : 5;
        Check(m.AnchorSizes is null || ((m.AnchorSizes.Length == 1 || m.AnchorSizes.Length == levels) && m.AnchorSizes.All(a => a is { Length: > 0 } && a.All(v => v > 0 && double.IsFinite(v)))
              && m.AnchorSizes.Select(a => a.Length).Distinct().Count() == 1),
            "model.anchor_sizes", $"a {m.Kind} RPN needs {(levels == 1 ? "one list" : "one list, or one per level (5),")} of positive sizes of equal length, got [{string.Join("; ", (m.AnchorSizes ?? []).Select(a => List(a)))}]");
        Check(m.AspectRatios is { Length: > 0 } && m.AspectRatios.All(r => r > 0 && double.IsFinite(r)), "model.aspect_ratios", $"must be positive numbers, got {List(m.AspectRatios)}");
        Check(m.Kind == RpnKind.ClipC4 || m.ClipWeights is null, "model.clip_weights", $"only the ClipC4 kind starts from a CLIP checkpoint (kind is {m.Kind})");
        Check(!m.FreezeBackbone || m.Kind != RpnKind.ClipC4 || m.ClipWeights is not null, "model.freeze_backbone", "freezing a CLIP backbone needs clip_weights to start from");
        Check(i.MinSize >= 32 && i.MinSize <= 4096, "input.min_size", $"must be in 32..4096, got {i.MinSize}");
        Check(i.MaxSize >= i.MinSize && i.MaxSize <= 8192, "input.max_size", $"must be in min_size..8192, got {i.MaxSize}");
        Check(i.TrainMinSizes is null || (i.TrainMinSizes.Length > 0 && i.TrainMinSizes.All(x => x >= 32 && x <= i.MaxSize)), "input.train_min_sizes",
            $"must be short sides in 32..max_size, got {List(i.TrainMinSizes)}");
        Check(s.BatchSize >= 1 && s.BatchSize <= 1024, "solver.batch_size", $"must be in 1..1024, got {s.BatchSize}");
        Check(s.Steps >= 1, "solver.steps", $"must be at least 1, got {s.Steps}");
        Check(Enum.IsDefined(s.Optimizer), "solver.optimizer", $"unknown optimizer {s.Optimizer}");
        Check(s.LearningRate > 0 && double.IsFinite(s.LearningRate), "solver.learning_rate", $"must be positive, got {s.LearningRate}");
        Check(s.Momentum is >= 0 and < 1, "solver.momentum", $"must be in [0, 1), got {s.Momentum}");
        Check(s.Beta2 is > 0 and < 1, "solver.beta2", $"must be in (0, 1), got {s.Beta2}");
        Check(s.WeightDecay >= 0 && double.IsFinite(s.WeightDecay), "solver.weight_decay", $"must be ≥ 0, got {s.WeightDecay}");
        Check(Enum.IsDefined(s.Schedule), "solver.schedule", $"unknown schedule {s.Schedule}");
        Check(s.Milestones is not null && s.Milestones.All(x => x >= 1) && s.Milestones.Zip(s.Milestones.Skip(1)).All(p => p.First < p.Second), "solver.milestones", $"must be increasing positive steps, got {List(s.Milestones)}");
        Check(s.Gamma is > 0 and <= 1, "solver.gamma", $"must be in (0, 1], got {s.Gamma}");
        Check(s.WarmupSteps >= 0, "solver.warmup_steps", $"must be ≥ 0, got {s.WarmupSteps}");
        Check(s.WarmupFactor is > 0 and <= 1, "solver.warmup_factor", $"must be in (0, 1], got {s.WarmupFactor}");
        Check(s.GradientClip >= 0 && double.IsFinite(s.GradientClip), "solver.gradient_clip", $"must be ≥ 0 (0: off), got {s.GradientClip}");
        Check(m.BatchSizePerImage >= 1, "model.batch_size_per_image", $"must be at least 1, got {m.BatchSizePerImage}");
        Check(m.PositiveFraction is >= 0 and <= 1, "model.positive_fraction", $"must be in [0, 1], got {m.PositiveFraction}");
        Check(m.IouThresholds is { Length: 2 } && m.IouThresholds[0] >= 0 && m.IouThresholds[0] <= m.IouThresholds[1] && m.IouThresholds[1] <= 1, "model.iou_thresholds",
            $"must be [background_below, foreground_from] with 0 ≤ a ≤ b ≤ 1, got {List(m.IouThresholds)}");
        Check(m.ObjectnessLossWeight >= 0 && m.BoxLossWeight >= 0 && m.ObjectnessLossWeight + m.BoxLossWeight > 0, "model.objectness_loss_weight",
            $"loss weights must be ≥ 0 and not both 0, got {m.ObjectnessLossWeight} and {m.BoxLossWeight}");
        Check(s.CheckpointEvery >= 1, "solver.checkpoint_every", $"must be at least 1, got {s.CheckpointEvery}");
        Check(e.Every >= 0, "evaluation.every", $"must be ≥ 0 (0: only at the end), got {e.Every}");
        Check(e.Images >= 0, "evaluation.images", $"must be ≥ 0 (0: all), got {e.Images}");
        Check(e.Nms is > 0 and <= 1, "evaluation.nms", $"must be in (0, 1], got {e.Nms}");
        Check(e.PreNmsTopK >= 1, "evaluation.pre_nms_top_k", $"must be at least 1, got {e.PreNmsTopK}");
        Check(e.TopK is { Length: > 0 } && e.TopK.All(k => k >= 1), "evaluation.top_k", $"must be positive proposal counts, got {List(e.TopK)}");
        Check(e.Iou is > 0 and <= 1, "evaluation.iou", $"must be in (0, 1], got {e.Iou}");
    }
}
