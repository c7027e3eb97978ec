namespace RegionClip.Training.Transfer;

// Checks that name the field as the config file spells it, and the defaults that depend on other fields.
public sealed partial record DetectorTrainOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the field (section.field) and the bad value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message) { if (!ok) throw new ArgumentException($"{field}: {message}"); }
        static bool Finite(double x) => double.IsFinite(x);
        Check(Model.Init is not null, "model.init", "no initial weights: give a RegionCLIP pretrained checkpoint (or a CLIP one for the baseline)");
        Check(Model.FreezeAt is >= 0 and <= 4, "model.freeze_at", $"must be in 0..4 (0: nothing frozen, 2: stem and layer1), got {Model.FreezeAt}");
        Check(Data.TrainAnnotations is not null, "data.train_annotations", "no training annotations: give a COCO-format instances file (or data.world)");
        Check(Data.Categories != TrainCategories.Base || Data.Split is not null, "data.split",
            "training on base categories needs a split: coco-ovd, lvis-rare or a {\"base\": […], \"novel\": […]} file (or data.categories all)");
        Check(Data.RepeatThreshold >= 0 && Data.RepeatThreshold < 1, "data.repeat_threshold", $"must be in [0, 1), got {Data.RepeatThreshold}");
        Check(Data.MaxBoxesPerImage >= 0, "data.max_boxes_per_image", $"must be ≥ 0 (0: all), got {Data.MaxBoxesPerImage}");
        Check(Regions.Source != TrainRegionSource.Rpn || Regions.Rpn is not null, "regions.rpn", "RoIs come from an RPN (regions.source rpn) but no RPN checkpoint is given");
        Check(Regions.Source != TrainRegionSource.File || Regions.Proposals is not null, "regions.proposals", "RoIs come from a file (regions.source file) but no proposals JSON is given");
        Check(Regions.RpnTopK is >= 1 and <= 100000, "regions.rpn_top_k", $"must be in 1..100000, got {Regions.RpnTopK}");
        Check(Regions.RpnNms is > 0 and <= 1, "regions.rpn_nms", $"must be in (0, 1], got {Regions.RpnNms}");
        Check(Regions.PerImage is >= 1 and <= 100000, "regions.per_image", $"must be in 1..100000, got {Regions.PerImage}");
        Check(Regions.PositiveFraction is > 0 and <= 1, "regions.positive_fraction", $"must be in (0, 1], got {Regions.PositiveFraction}");
        Check(Regions.IouThreshold is > 0 and <= 1, "regions.iou_threshold", $"must be in (0, 1], got {Regions.IouThreshold}");
        Check(Input.MinSizes is { Length: > 0 } && Input.MinSizes.All(s => s is >= 16 and <= 4096), "input.min_sizes",
            $"must be one or more short sides in 16..4096, got [{string.Join(", ", Input.MinSizes ?? [])}]");
        Check(Input.MaxSize >= Input.MinSizes!.Max() && Input.MaxSize <= 8192, "input.max_size", $"must be in max(min_sizes)..8192, got {Input.MaxSize}");
        Check(Input.TestMinSize is >= 16 and <= 4096, "input.test_min_size", $"must be in 16..4096, got {Input.TestMinSize}");
        Check(Solver.BatchSize is >= 1 and <= 1024, "solver.batch_size", $"must be in 1..1024, got {Solver.BatchSize}");
        Check(Solver.MaxSteps >= 1, "solver.max_steps", $"must be at least 1, got {Solver.MaxSteps}");
        Check(Solver.BaseLr > 0 && Finite(Solver.BaseLr), "solver.base_lr", $"must be positive, got {Solver.BaseLr}");
        Check(Solver.Momentum is >= 0 and < 1, "solver.momentum", $"must be in [0, 1), got {Solver.Momentum}");
        Check(Solver.WeightDecay >= 0 && Finite(Solver.WeightDecay), "solver.weight_decay", $"must be ≥ 0, got {Solver.WeightDecay}");
        Check(Solver.WarmupSteps >= 0, "solver.warmup_steps", $"must be ≥ 0, got {Solver.WarmupSteps}");
        Check(Solver.WarmupFactor is > 0 and <= 1, "solver.warmup_factor", $"must be in (0, 1], got {Solver.WarmupFactor}");
        Check(Solver.Steps is not null && Solver.Steps.All(s => s >= 1) && Solver.Steps.Zip(Solver.Steps.Skip(1)).All(p => p.First < p.Second),
            "solver.steps", $"must be increasing positive steps, got [{string.Join(", ", Solver.Steps ?? [])}]");
        Check(Solver.Gamma > 0 && Finite(Solver.Gamma), "solver.gamma", $"must be positive, got {Solver.Gamma}");
        Check(Solver.ClipNorm >= 0 && Finite(Solver.ClipNorm), "solver.clip_norm", $"must be ≥ 0 (0: no clipping), got {Solver.ClipNorm}");
        Check(Solver.CheckpointEvery >= 1, "solver.checkpoint_every", $"must be at least 1, got {Solver.CheckpointEvery}");
        Check(Loss.FocalGamma >= 0 && Finite(Loss.FocalGamma), "loss.focal_gamma", $"must be ≥ 0, got {Loss.FocalGamma}");
        Check(Loss.BackgroundWeight >= 0 && Finite(Loss.BackgroundWeight), "loss.background_weight", $"must be ≥ 0, got {Loss.BackgroundWeight}");
        Check(Loss.Temperature > 0 && Finite(Loss.Temperature), "loss.temperature", $"must be positive, got {Loss.Temperature}");
        Check(Loss.BoxRegressionWeight >= 0 && Finite(Loss.BoxRegressionWeight), "loss.box_regression_weight", $"must be ≥ 0, got {Loss.BoxRegressionWeight}");
        Check(Evaluation.Every >= 0, "evaluation.every", $"must be ≥ 0 (0: only at the end), got {Evaluation.Every}");
        Check(Evaluation.MaxDetections >= 1, "evaluation.max_detections", $"must be at least 1, got {Evaluation.MaxDetections}");
        Check(Evaluation.NmsThreshold is >= 0 and <= 1, "evaluation.nms_threshold", $"must be in [0, 1], got {Evaluation.NmsThreshold}");
        Check(Evaluation.MaxImages >= 0, "evaluation.max_images", $"must be ≥ 0 (0: all), got {Evaluation.MaxImages}");
        Check(!Evaluation.RpnFusion || Regions.Source == TrainRegionSource.Rpn || Regions.Proposals is not null, "evaluation.rpn_fusion", "fusing with objectness needs an RPN or scored proposals");
        Check(!string.IsNullOrWhiteSpace(Out), "out", "the output folder must not be empty");
    }

    /// <summary>The paths made absolute, with the defaults that come from the world folder or other fields filled in.</summary>
    public DetectorTrainOptions Resolved()
    {
        static string? Full(string? p) => p is null ? null : Path.GetFullPath(p);
        var world = Full(Data.World);
        string? InWorld(string file) => world is null ? null : Path.Combine(world, file);
        string? IfExists(string? p) => p is not null && File.Exists(p) ? p : null;
        var train = Full(Data.TrainAnnotations) ?? InWorld("instances_train.json");
        var test = Full(Data.TestAnnotations) ?? IfExists(InWorld("instances_val.json"));
        // A config file's relative paths arrive absolute (relative to the file), built-in split names too: keep those as names.
        var split = Data.Split is null ? IfExists(InWorld("category_split.json"))
            : Path.GetFileName(Data.Split) is var name && name is "coco-ovd" or "lvis-rare" && !File.Exists(Data.Split) ? name : Path.GetFullPath(Data.Split);
        return this with
        {
            Model = Model with { Init = Full(Model.Init), Vocabulary = Full(Model.Vocabulary) ?? IfExists(InWorld("bpe_world.txt")), BoxRegressor = Full(Model.BoxRegressor) },
            Data = Data with
            {
                World = world,
                TrainAnnotations = train,
                TrainImages = Full(Data.TrainImages) ?? (train is null ? null : Path.GetDirectoryName(train)),
                TestAnnotations = test,
                TestImages = Full(Data.TestImages) ?? (test is null ? null : Path.GetDirectoryName(test)),
                Split = split,
                TrainConcepts = Full(Data.TrainConcepts),
                TestConcepts = Full(Data.TestConcepts),
            },
            Regions = Regions with { Rpn = Full(Regions.Rpn), Proposals = Full(Regions.Proposals) },
            Out = Path.GetFullPath(Out),
        };
    }
}
