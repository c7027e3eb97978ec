using RegionClip.Modeling.Clip;

namespace RegionClip.Training;

/// <summary>
/// How the synthetic world's CLIP teacher is built and trained, in sections: <see cref="Model"/>,
/// <see cref="Solver"/> and <see cref="Input"/> (the YAML config nests them: <c>solver: {steps: 900}</c>).
/// The defaults are the demo's (see docs/design-notes.md, "CLIP teacher"); <see cref="Quick"/> is the --quick preset.
/// </summary>
public sealed record TeacherOptions
{
    public TeacherModelOptions Model { get; init; } = new();
    public TeacherSolverOptions Solver { get; init; } = new();
    public TeacherInputOptions Input { get; init; } = new();
    public ulong Seed { get; init; }

    /// <summary>The demo's teacher (≈ 4 minutes of training on two idle cores, ~90 % zero-shot top-1).</summary>
    public static TeacherOptions Default { get; } = new();

    /// <summary>The --quick teacher (≈ 1 minute, ~60 %): same model, fewer steps.</summary>
    public static TeacherOptions Quick { get; } = new() { Solver = new() { Steps = 360 } };

    /// <summary>The CLIP configuration of the teacher for a tokenizer with <paramref name="vocabularyCount"/> ids.</summary>
    public ClipConfig ModelConfig(int vocabularyCount) => new(
        Model.EmbedDim, Model.Resolution, Model.VisionLayers, Model.VisionWidth, Model.ContextLength, vocabularyCount,
        Model.TextWidth, Model.TextWidth / 64, Model.TextLayers);

    /// <summary>Throws <see cref="ArgumentException"/> naming the field (in its dotted config-file spelling, <c>solver.steps</c>) and the bad value.</summary>
    public void Validate()
    {
        static void Check(bool ok, string field, string message) { if (!ok) throw new ArgumentException($"{field}: {message}"); }
        var (m, s) = (Model, Solver);
        Check(m.Resolution >= 32 && m.Resolution % 32 == 0 && m.Resolution <= 1024, "model.resolution", $"must be a multiple of 32 in 32..1024, got {m.Resolution}");
        Check(m.VisionWidth >= 2 && m.VisionWidth % 2 == 0, "model.vision_width", $"must be even and positive, got {m.VisionWidth}");
        Check(m.VisionLayers is { Length: 4 } && m.VisionLayers.All(n => n >= 1), "model.vision_layers", $"the vision tower needs 4 stage depths ≥ 1, got [{string.Join(", ", m.VisionLayers ?? [])}]");
        Check(m.EmbedDim >= 1, "model.embed_dim", $"must be positive, got {m.EmbedDim}");
        Check(m.TextWidth >= 64 && m.TextWidth % 64 == 0, "model.text_width", $"must be a positive multiple of 64, got {m.TextWidth}");
        Check(m.TextLayers >= 1, "model.text_layers", $"the text tower needs at least one layer, got {m.TextLayers}");
        Check(m.ContextLength >= 3, "model.context_length", $"must be at least 3, got {m.ContextLength}");
        Check(s.BatchSize >= 2, "solver.batch_size", $"contrastive training needs a batch of at least 2, got {s.BatchSize}");
        Check(s.Minutes is null || s.Epochs is null, "solver.minutes", "give a length in minutes or in epochs, not both");
        Check(s.Steps >= 1, "solver.steps", $"must be at least 1, got {s.Steps}");
        Check(s.Epochs is null or >= 1, "solver.epochs", $"must be at least 1, got {s.Epochs}");
        Check(s.Minutes is null or > 0 and < 1e6, "solver.minutes", $"must be positive, got {s.Minutes}");
        Check(s.LearningRate > 0 && double.IsFinite(s.LearningRate), "solver.learning_rate", $"must be positive, got {s.LearningRate}");
        Check(s.WeightDecay >= 0, "solver.weight_decay", $"must be ≥ 0, got {s.WeightDecay}");
        Check(s.Beta2 is > 0 and < 1, "solver.beta2", $"AdamW's beta2 must be in (0, 1), got {s.Beta2}");
        Check(s.WarmupSteps >= 0, "solver.warmup_steps", $"must be ≥ 0, got {s.WarmupSteps}");
        Check(s.MinLearningRateFactor is >= 0 and <= 1, "solver.min_learning_rate_factor", $"the final learning-rate factor must be in [0, 1], got {s.MinLearningRateFactor}");
        Check(s.Temperature is > 0 and <= 1, "solver.temperature", $"must be in (0, 1], got {s.Temperature}");
        Check(s.GradientClip >= 0, "solver.gradient_clip", $"must be ≥ 0, got {s.GradientClip}");
        Check(s.CheckpointEvery >= 1, "solver.checkpoint_every", $"must be at least 1, got {s.CheckpointEvery}");
    }
}

/// <summary>The <c>model:</c> section of <see cref="TeacherOptions"/>: the CLIP towers' sizes.</summary>
public sealed record TeacherModelOptions
{
    public int EmbedDim { get; init; } = 128;
    /// <summary>Square input side; a multiple of 32 (attention pooling runs on a Resolution/32 grid).</summary>
    public int Resolution { get; init; } = 64;
    /// <summary>Stem width; stages have 4·w … 32·w output channels and attnpool 32·w with w/2 heads.</summary>
    public int VisionWidth { get; init; } = 16;
    public int[] VisionLayers { get; init; } = [1, 1, 1, 1];
    /// <summary>Text transformer width, a multiple of 64 (CLIP infers width/64 heads).</summary>
    public int TextWidth { get; init; } = 128;
    public int TextLayers { get; init; } = 2;
    /// <summary>Token positions; captions longer than this are cut (end token kept).</summary>
    public int ContextLength { get; init; } = 32;
}

/// <summary>The <c>solver:</c> section of <see cref="TeacherOptions"/>: run length, AdamW, schedule, temperature and checkpoints.</summary>
public sealed record TeacherSolverOptions
{
    public int BatchSize { get; init; } = 128;
    /// <summary>Optimisation steps (time is proportional to it, whatever the world's size); <see cref="Epochs"/> or <see cref="Minutes"/> replace it.</summary>
    public int Steps { get; init; } = 1800;
    /// <summary>Passes over the training images instead of <see cref="Steps"/> (the last partial batch of each is dropped).</summary>
    public int? Epochs { get; init; }
    /// <summary>Train for about this long instead: the step count is fixed from the speed of the first steps and kept on resume.</summary>
    public double? Minutes { get; init; }
    public double LearningRate { get; init; } = 1.5e-3;
    /// <summary>AdamW's decoupled decay on weight matrices and convolutions; 0 on biases, norms and the temperature.</summary>
    public double WeightDecay { get; init; } = 0.1;
    public double Beta2 { get; init; } = 0.98;
    public int WarmupSteps { get; init; } = 20;
    /// <summary>The cosine schedule ends at LearningRate × this.</summary>
    public double MinLearningRateFactor { get; init; } = 0.0;
    /// <summary>Initial softmax temperature of the contrastive logits (CLIP: 0.07).</summary>
    public double Temperature { get; init; } = 0.07;
    /// <summary>Learn the temperature (as CLIP does, capped at 0.01); false keeps <see cref="Temperature"/>.</summary>
    public bool LearnTemperature { get; init; } = true;
    /// <summary>Global gradient-norm clip; 0 turns it off.</summary>
    public double GradientClip { get; init; } = 1.0;
    /// <summary>Write the resumable training checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 100;
}

/// <summary>The <c>input:</c> section of <see cref="TeacherOptions"/>: augmentation of the training images.</summary>
public sealed record TeacherInputOptions
{
    /// <summary>Mirror images at random (caption words "left"/"right" are swapped with them).</summary>
    public bool HorizontalFlip { get; init; } = true;
}
