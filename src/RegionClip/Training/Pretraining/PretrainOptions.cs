using System.Text.Json.Serialization;
using RegionClip.Common;

namespace RegionClip.Training.Pretraining;

/// <summary>Where each image's regions come from.</summary>
public enum RegionSource
{
    /// <summary>An offline RPN checkpoint run on the resized image (the official setting).</summary>
    Rpn,
    /// <summary>A proposals JSON in original pixels, as <c>detect --proposals</c> reads.</summary>
    File,
    /// <summary>Random boxes on an 8-pixel grid (the official CROP_REGION_TYPE RANDOM).</summary>
    Random,
    /// <summary>A regular grid of boxes at a few scales.</summary>
    Grid,
}

/// <summary>
/// Everything a region–text pretraining run (<see cref="RegionTextPretrainer"/>) needs, as nested
/// sections of one YAML file (<see cref="OptionsFile{TOptions}"/>): <c>model</c>, <c>data</c>, <c>regions</c>,
/// <c>concepts</c>, <c>input</c>, <c>solver</c>, <c>loss</c>. Defaults are the official RegionCLIP RN50
/// pretraining config (configs/pretrain/RegionCLIP_RN50.yaml) where it sets a value.
/// </summary>
public sealed partial record PretrainOptions
{
    public PretrainModelOptions Model { get; init; } = new();
    public PretrainDataOptions Data { get; init; } = new();
    public PretrainRegionOptions Regions { get; init; } = new();
    public PretrainConceptOptions Concepts { get; init; } = new();
    public PretrainInputOptions Input { get; init; } = new();
    public PretrainSolverOptions Solver { get; init; } = new();
    public PretrainLossOptions Loss { get; init; } = new();
    /// <summary>Output folder: pretrain_log.jsonl, pretrain_checkpoint.pth, model_final.pth, pretrain_result.json.</summary>
    [PathOption] public string Out { get; init; } = "pretrain-out";
    /// <summary>Seeds the data order, caption choice, flips and region sampling.</summary>
    public ulong Seed { get; init; }
    /// <summary>Continue from OUT/pretrain_checkpoint.pth when it exists (with the checkpoint's options).</summary>
    [JsonIgnore] public bool Resume { get; init; }
}

public sealed record PretrainModelOptions
{
    /// <summary>The teacher's CLIP checkpoint (OpenAI .pt, a CLIP state dict, a RegionCLIP file or one of ours): frozen; labels the regions.</summary>
    [PathOption] public string? Teacher { get; init; }
    /// <summary>The student's starting weights (default: the teacher's). Only its visual tower is used.</summary>
    [PathOption] public string? Student { get; init; }
    /// <summary>The frozen text tower for captions and concept names (default: the teacher's checkpoint).</summary>
    [PathOption] public string? Text { get; init; }
    /// <summary>The BPE vocabulary of the text tower (default: CLIP's, found as the other commands find it).</summary>
    [PathOption] public string? Vocabulary { get; init; }
    /// <summary>detectron2's FREEZE_AT for the student: 1 freezes the stem, 2 also layer1 (official), … 4 also layer3.</summary>
    public int FreezeAt { get; init; } = 2;
}

public sealed record PretrainDataOptions
{
    /// <summary>Image–caption pairs: COCO Captions JSON (.json), JSON Lines of {"image", "caption"} (.jsonl), or the official text TSV (.tsv).</summary>
    [PathOption] public string? Captions { get; init; }
    /// <summary>The folder image names are relative to (default: the captions file's folder), or the official image TSV.</summary>
    [PathOption] public string? Images { get; init; }
    /// <summary>Visit the images in a new random order each epoch (false: file order, for exact comparisons).</summary>
    public bool Shuffle { get; init; } = true;
}

public sealed record PretrainRegionOptions
{
    public RegionSource Source { get; init; } = RegionSource.Rpn;
    /// <summary>The offline RPN checkpoint (source rpn).</summary>
    [PathOption] public string? Rpn { get; init; }
    /// <summary>The proposals JSON (source file).</summary>
    [PathOption] public string? Proposals { get; init; }
    /// <summary>Regions drawn at random per image from its proposals (PRETRAIN_SAMPLE_REGIONS).</summary>
    public int PerImage { get; init; } = 100;
    /// <summary>Proposals the RPN keeps after NMS (PRETRAIN_RPN_REGIONS).</summary>
    public int RpnTopK { get; init; } = 300;
    /// <summary>The RPN's NMS threshold (OFFLINE_RPN_NMS_THRESH).</summary>
    public double RpnNms { get; init; } = 0.5;
}

public sealed record PretrainConceptOptions
{
    /// <summary>The student's concepts: a [K, D] embedding file (.pth/.npy) or a pool file (one name per line, "name,count" as `regionclip concepts` writes).</summary>
    [PathOption] public string? Student { get; init; }
    /// <summary>The teacher's concepts (default: the student's).</summary>
    [PathOption] public string? Teacher { get; init; }
    /// <summary>A region is kept when the teacher's top concept probability is above this (CONCEPT_THRES).</summary>
    public double Threshold { get; init; } = 0.1;
    /// <summary>The teacher's softmax temperature (hard-coded 0.01 in the official code).</summary>
    public double TeacherTemperature { get; init; } = 0.01;
}

public sealed record PretrainInputOptions
{
    /// <summary>The short side after resizing (AUG.TRAIN.IMAGE_SIZE; bicubic, floor, as torchvision's Resize).</summary>
    public int MinSize { get; init; } = 800;
    public int MaxSize { get; init; } = 1333;
    public bool HorizontalFlip { get; init; } = true;
}

public sealed record PretrainSolverOptions
{
    /// <summary>Images per step (one process).</summary>
    public int BatchSize { get; init; } = 2;
    public long MaxSteps { get; init; } = 1000;
    public double BaseLr { get; init; } = 0.002;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 1e-4;
    /// <summary>Weight decay of biases (detectron2's WEIGHT_DECAY_BIAS; default: <see cref="WeightDecay"/>).</summary>
    public double? WeightDecayBias { get; init; }
    /// <summary>Linear warm-up from <see cref="WarmupFactor"/> × base LR (0: none).</summary>
    public long WarmupSteps { get; init; } = 1000;
    public double WarmupFactor { get; init; } = 0.001;
    /// <summary>Steps at which the LR is multiplied by <see cref="Gamma"/> (detectron2's SOLVER.STEPS).</summary>
    public long[] Steps { get; init; } = [];
    public double Gamma { get; init; } = 0.1;
    /// <summary>Each parameter tensor's gradient is scaled to at most this L2 norm (0: off).</summary>
    public double ClipNorm { get; init; } = 5.0;
    public long CheckpointEvery { get; init; } = 500;
}

public sealed record PretrainLossOptions
{
    /// <summary>The student's matching temperature (CLSS_TEMP) of all three losses.</summary>
    public double Temperature { get; init; } = 0.01;
    public double ImageText { get; init; } = 1.0;
    public double Distillation { get; init; } = 1.0;
    public double Contrastive { get; init; } = 1.0;
}
