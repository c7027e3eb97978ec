namespace RegionClip.Training.Pretraining;

// Checks that name the field as the config file spells it, and the defaults that depend on other fields.
public sealed partial record PretrainOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the field (section.field) and the bad value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message) { if (!ok) throw new ArgumentException($"{field}: {message}"); }
        static bool Finite(double x) => double.IsFinite(x);
        Check(Model.Teacher is not null, "model.teacher", "no teacher: give the CLIP checkpoint that labels the regions");
        Check(Model.FreezeAt is >= 0 and <= 4, "model.freeze_at", $"must be in 0..4 (0: nothing frozen, 2: stem and layer1), got {Model.FreezeAt}");
        Check(Data.Captions is not null, "data.captions", "no image–caption pairs: give a COCO Captions JSON, a JSON Lines file or a text TSV");
        Check(Regions.Source != RegionSource.Rpn || Regions.Rpn is not null, "regions.rpn", "regions come from an RPN (regions.source rpn) but no RPN checkpoint is given");
        Check(Regions.Source != RegionSource.File || Regions.Proposals is not null, "regions.proposals", "regions come from a file (regions.source file) but no proposals JSON is given");
        Check(Regions.PerImage is >= 1 and <= 10000, "regions.per_image", $"must be in 1..10000, got {Regions.PerImage}");
        Check(Regions.RpnTopK is >= 1 and <= 100000, "regions.rpn_top_k", $"must be in 1..100000, got {Regions.RpnTopK}");
        Check(Regions.RpnNms is > 0 and <= 1, "regions.rpn_nms", $"must be in (0, 1], got {Regions.RpnNms}");
        Check(Concepts.Student is not null, "concepts.student", "no concepts: give a [K, D] embedding file or a concept pool file");
        Check(Concepts.Threshold is >= 0 and < 1, "concepts.threshold", $"must be in [0, 1), got {Concepts.Threshold}");
        Check(Concepts.TeacherTemperature > 0 && Finite(Concepts.TeacherTemperature), "concepts.teacher_temperature", $"must be positive, got {Concepts.TeacherTemperature}");
        Check(Input.MinSize is >= 32 and <= 4096, "input.min_size", $"must be in 32..4096, got {Input.MinSize}");
        Check(Input.MaxSize >= Input.MinSize && Input.MaxSize <= 8192, "input.max_size", $"must be in min_size..8192, got {Input.MaxSize}");
        Check(Solver.BatchSize is >= 1 and <= 1024, "solver.batch_size", $"must be in 1..1024, got {Solver.BatchSize}");
        Check(Solver.MaxSteps >= 1, "solver.max_steps", $"must be at least 1, got {Solver.MaxSteps}");
        Check(Solver.BaseLr > 0 && Finite(Solver.BaseLr), "solver.base_lr", $"must be positive, got {Solver.BaseLr}");
        Check(Solver.Momentum is >= 0 and < 1, "solver.momentum", $"must be in [0, 1), got {Solver.Momentum}");
        Check(Solver.WeightDecay >= 0 && Finite(Solver.WeightDecay), "solver.weight_decay", $"must be ≥ 0, got {Solver.WeightDecay}");
        Check(Solver.WeightDecayBias is null or >= 0, "solver.weight_decay_bias", $"must be ≥ 0, got {Solver.WeightDecayBias}");
        Check(Solver.WarmupSteps >= 0, "solver.warmup_steps", $"must be ≥ 0, got {Solver.WarmupSteps}");
        Check(Solver.WarmupFactor is > 0 and <= 1, "solver.warmup_factor", $"must be in (0, 1], got {Solver.WarmupFactor}");
        Check(Solver.Steps is not null && Solver.Steps.All(s => s >= 1) && Solver.Steps.Zip(Solver.Steps.Skip(1)).All(p => p.First < p.Second),
            "solver.steps", $"must be increasing positive steps, got [{string.Join(", ", Solver.Steps ?? [])}]");
        Check(Solver.Gamma > 0 && Finite(Solver.Gamma), "solver.gamma", $"must be positive, got {Solver.Gamma}");
        Check(Solver.ClipNorm >= 0 && Finite(Solver.ClipNorm), "solver.clip_norm", $"must be ≥ 0 (0: no clipping), got {Solver.ClipNorm}");
        Check(Solver.CheckpointEvery >= 1, "solver.checkpoint_every", $"must be at least 1, got {Solver.CheckpointEvery}");
        Check(Loss.Temperature > 0 && Finite(Loss.Temperature), "loss.temperature", $"must be positive, got {Loss.Temperature}");
        Check(Loss.ImageText >= 0 && Finite(Loss.ImageText), "loss.image_text", $"must be ≥ 0, got {Loss.ImageText}");
        Check(Loss.Distillation >= 0 && Finite(Loss.Distillation), "loss.distillation", $"must be ≥ 0, got {Loss.Distillation}");
        Check(Loss.Contrastive >= 0 && Finite(Loss.Contrastive), "loss.contrastive", $"must be ≥ 0, got {Loss.Contrastive}");
        Check(Loss.ImageText + Loss.Distillation + Loss.Contrastive > 0, "loss", "every loss weight is 0: nothing would be learned");
        Check(!string.IsNullOrWhiteSpace(Out), "out", "the output folder must not be empty");
    }

    /// <summary>The paths made absolute, with the defaults that depend on other fields filled in.</summary>
    public PretrainOptions Resolved()
    {
        static string? Full(string? p) => p is null ? null : Path.GetFullPath(p);
        var teacher = Full(Model.Teacher);
        var captions = Full(Data.Captions);
        return this with
        {
            Model = Model with { Teacher = teacher, Student = Full(Model.Student) ?? teacher, Text = Full(Model.Text) ?? teacher, Vocabulary = Full(Model.Vocabulary) },
            Data = Data with { Captions = captions, Images = Full(Data.Images) ?? (captions is null ? null : Path.GetDirectoryName(captions)) },
            Regions = Regions with { Rpn = Full(Regions.Rpn), Proposals = Full(Regions.Proposals) },
            Concepts = Concepts with { Student = Full(Concepts.Student), Teacher = Full(Concepts.Teacher) },
            Out = Path.GetFullPath(Out),
        };
    }
}
