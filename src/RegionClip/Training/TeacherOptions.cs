using RegionClip.Modeling.Clip;

namespace RegionClip.Training;

/// <summary>
/// How the synthetic world's CLIP teacher is built and trained. The defaults are the demo's
/// (see docs/design-notes.md, "CLIP teacher"); <see cref="Quick"/> is the --quick preset.
/// </summary>
public sealed record TeacherOptions
{
    // ---- model -----------------------------------------------------------------------------
    /// <summary>Square input side; a multiple of 32 (attention pooling runs on a Resolution/32 grid).</summary>
    public int Resolution { get; init; } = 64;
    /// <summary>Stem width; stages have 4·w … 32·w output channels and attnpool 32·w with w/2 heads.</summary>
    public int VisionWidth { get; init; } = 16;
    public int[] VisionLayers { get; init; } = [1, 1, 1, 1];
    public int EmbedDim { get; init; } = 128;
    /// <summary>Text transformer width, a multiple of 64 (CLIP infers width/64 heads).</summary>
    public int TextWidth { get; init; } = 128;
    public int TextLayers { get; init; } = 2;
    /// <summary>Token positions; captions longer than this are cut (end token kept).</summary>
    public int ContextLength { get; init; } = 32;

    // ---- schedule --------------------------------------------------------------------------
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
    /// <summary>Mirror images at random (caption words "left"/"right" are swapped with them).</summary>
    public bool HorizontalFlip { get; init; } = true;

    // ---- bookkeeping -----------------------------------------------------------------------
    /// <summary>Write the resumable training checkpoint every this many steps (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 100;
    public ulong Seed { get; init; }

    /// <summary>The demo's teacher (≈ 4 minutes of training on two idle cores, ~90 % zero-shot top-1).</summary>
    public static TeacherOptions Default { get; } = new();

    /// <summary>The --quick teacher (≈ 1 minute, ~60 %): same model, fewer steps.</summary>
    public static TeacherOptions Quick { get; } = new() { Steps = 360 };

    /// <summary>The CLIP configuration of the teacher for a tokenizer with <paramref name="vocabularyCount"/> ids.</summary>
    public ClipConfig ModelConfig(int vocabularyCount) => new(
        EmbedDim, Resolution, VisionLayers, VisionWidth, ContextLength, vocabularyCount, TextWidth, TextWidth / 64, TextLayers);

    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(Resolution >= 32 && Resolution % 32 == 0 && Resolution <= 1024, $"the teacher's resolution must be a multiple of 32 in 32..1024, got {Resolution}");
        Check(VisionWidth >= 2 && VisionWidth % 2 == 0, $"the vision width must be even and positive, got {VisionWidth}");
        Check(VisionLayers is { Length: 4 } && VisionLayers.All(n => n >= 1), $"the vision tower needs 4 stage depths ≥ 1, got [{string.Join(", ", VisionLayers ?? [])}]");
        Check(EmbedDim >= 1, $"the embedding size must be positive, got {EmbedDim}");
        Check(TextWidth >= 64 && TextWidth % 64 == 0, $"the text width must be a positive multiple of 64, got {TextWidth}");
        Check(TextLayers >= 1, $"the text tower needs at least one layer, got {TextLayers}");
        Check(ContextLength >= 3, $"the context length must be at least 3, got {ContextLength}");
        Check(BatchSize >= 2, $"contrastive training needs a batch of at least 2, got {BatchSize}");
        Check(Minutes is null || Epochs is null, "give a length in minutes or in epochs, not both");
        Check(Steps >= 1, $"--steps must be at least 1, got {Steps}");
        Check(Epochs is null or >= 1, $"--epochs must be at least 1, got {Epochs}");
        Check(Minutes is null or > 0 and < 1e6, $"--minutes must be positive, got {Minutes}");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"the learning rate must be positive, got {LearningRate}");
        Check(WeightDecay >= 0, $"the weight decay must be ≥ 0, got {WeightDecay}");
        Check(Beta2 is > 0 and < 1, $"AdamW's beta2 must be in (0, 1), got {Beta2}");
        Check(WarmupSteps >= 0, $"warm-up steps must be ≥ 0, got {WarmupSteps}");
        Check(MinLearningRateFactor is >= 0 and <= 1, $"the final learning-rate factor must be in [0, 1], got {MinLearningRateFactor}");
        Check(Temperature is > 0 and <= 1, $"the temperature must be in (0, 1], got {Temperature}");
        Check(GradientClip >= 0, $"the gradient clip must be ≥ 0, got {GradientClip}");
        Check(CheckpointEvery >= 1, $"checkpoints must be written every ≥ 1 steps, got {CheckpointEvery}");
    }
}
