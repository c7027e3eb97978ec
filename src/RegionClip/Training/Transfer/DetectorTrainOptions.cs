using System.Text.Json.Serialization;
using RegionClip.Common;

namespace RegionClip.Training.Transfer;

/// <summary>Which categories' boxes train the detector.</summary>
public enum TrainCategories
{
    /// <summary>Base categories only (open-vocabulary transfer): novel boxes are removed, novel objects stay in the images unlabelled.</summary>
    Base,
    /// <summary>Every category (fully supervised).</summary>
    All,
}

/// <summary>The classification loss of the box predictor (the official COCO and LVIS configs).</summary>
public enum ClassificationLoss
{
    /// <summary>COCO: cross-entropy × (1 − p_t)^γ, background RoIs × the background weight, plain mean.</summary>
    Focal,
    /// <summary>LVIS: cross-entropy with class weights (1, …, 1, background weight), weighted mean.</summary>
    Weighted,
}

/// <summary>Where the RoIs come from.</summary>
public enum TrainRegionSource
{
    /// <summary>An offline RPN checkpoint run (in eval mode) on each resized training image (the official setting).</summary>
    Rpn,
    /// <summary>A proposals JSON in original pixels, as <c>detect --proposals</c> reads.</summary>
    File,
}

/// <summary>
/// Everything a transfer-learning run (<see cref="DetectorTrainer"/>) needs, as nested sections of one YAML
/// file: <c>model</c>, <c>data</c>, <c>regions</c>, <c>input</c>, <c>solver</c>, <c>loss</c>, <c>evaluation</c>.
/// Defaults are the official COCO open-vocabulary config (CLIP_fast_rcnn_R_50_C4_ovd.yaml); <see cref="Lvis"/>
/// gives the LVIS one.
/// </summary>
public sealed partial record DetectorTrainOptions
{
    public DetectorModelOptions Model { get; init; } = new();
    public DetectorDataOptions Data { get; init; } = new();
    public DetectorRegionOptions Regions { get; init; } = new();
    public DetectorInputOptions Input { get; init; } = new();
    public DetectorSolverOptions Solver { get; init; } = new();
    public DetectorLossOptions Loss { get; init; } = new();
    public DetectorEvaluationOptions Evaluation { get; init; } = new();
    /// <summary>Output folder: train_log.jsonl, train_checkpoint.pth, model_final.pth, train_result.json.</summary>
    [PathOption] public string Out { get; init; } = "train-out";
    /// <summary>Seeds the data order, scales, flips and RoI sampling.</summary>
    public ulong Seed { get; init; }
    /// <summary>Continue from OUT/train_checkpoint.pth when it exists (with the checkpoint's options).</summary>
    [JsonIgnore] public bool Resume { get; init; }

    /// <summary>The official LVIS v1 preset: rare categories held out, weighted cross-entropy (background 0.8), repeat-factor sampling, 300 detections, RPN fusion.</summary>
    public static DetectorTrainOptions Lvis { get; } = new()
    {
        Data = new DetectorDataOptions { Split = "lvis-rare", RepeatThreshold = 0.001, MaxBoxesPerImage = 500 },
        Loss = new DetectorLossOptions { Classification = ClassificationLoss.Weighted, FocalGamma = 0, BackgroundWeight = 0.8 },
        Solver = new DetectorSolverOptions { MaxSteps = 180000, Steps = [120000, 160000] },
        Evaluation = new DetectorEvaluationOptions { ScoreThreshold = 0.02, MaxDetections = 300, RpnFusion = true },
    };

    /// <summary>The preset named "coco" (default) or "lvis".</summary>
    public static DetectorTrainOptions Preset(string name) => name.ToLowerInvariant() switch
    {
        "coco" => new DetectorTrainOptions(),
        "lvis" => Lvis,
        _ => throw new ArgumentException($"unknown preset '{name}' (coco or lvis)"),
    };
}

public sealed record DetectorModelOptions
{
    /// <summary>The initial weights: a RegionCLIP pretrained checkpoint (official or from <c>pretrain</c>), a fine-tuned one, or a plain CLIP (the paper's baseline).</summary>
    [PathOption] public string? Init { get; init; }
    /// <summary>The BPE vocabulary, when class names are embedded with the init's text tower (default: CLIP's).</summary>
    [PathOption] public string? Vocabulary { get; init; }
    /// <summary>detectron2's FREEZE_AT: 2 freezes the stem and layer1 (official).</summary>
    public int FreezeAt { get; init; } = 2;
    /// <summary>Initial box regressor weights {weight [4, D], bias [4]} (default: normal std 0.001, zero bias, as the official code).</summary>
    [PathOption] public string? BoxRegressor { get; init; }
}

public sealed record DetectorDataOptions
{
    /// <summary>A synthetic world folder: the default annotations, images and split come from it.</summary>
    [PathOption] public string? World { get; init; }
    /// <summary>COCO-format instances of the training images (COCO, LVIS v1 or a user dataset).</summary>
    [PathOption] public string? TrainAnnotations { get; init; }
    /// <summary>Folder the training file names are relative to (default: the annotations' folder).</summary>
    [PathOption] public string? TrainImages { get; init; }
    /// <summary>COCO-format instances of the held-out images (none: no evaluation).</summary>
    [PathOption] public string? TestAnnotations { get; init; }
    [PathOption] public string? TestImages { get; init; }
    /// <summary>{"base": [...], "novel": [...]} or a built-in split: coco-ovd, lvis-rare.</summary>
    [PathOption] public string? Split { get; init; }
    /// <summary>Base (open-vocabulary) or all (fully supervised).</summary>
    public TrainCategories Categories { get; init; } = TrainCategories.Base;
    /// <summary>[K_train, D] text embeddings of the training classes in ascending category id (.pth/.npy; default: the names embedded by the init's text tower).</summary>
    [PathOption] public string? TrainConcepts { get; init; }
    /// <summary>[K_all, D] embeddings of every test category in ascending id (default: the names embedded).</summary>
    [PathOption] public string? TestConcepts { get; init; }
    /// <summary>LVIS repeat-factor sampling threshold (0: off; the official LVIS config 0.001).</summary>
    public double RepeatThreshold { get; init; }
    /// <summary>Ground-truth boxes kept per image (LVIS loader: 500; 0: all).</summary>
    public int MaxBoxesPerImage { get; init; }
    /// <summary>Visit the images in a new random order each epoch (false: file order).</summary>
    public bool Shuffle { get; init; } = true;
}

public sealed record DetectorRegionOptions
{
    public TrainRegionSource Source { get; init; } = TrainRegionSource.Rpn;
    [PathOption] public string? Rpn { get; init; }
    [PathOption] public string? Proposals { get; init; }
    /// <summary>Proposals the RPN keeps after NMS (its test setting: the official offline RPN runs in eval mode).</summary>
    public int RpnTopK { get; init; } = 1000;
    public double RpnNms { get; init; } = 0.7;
    /// <summary>RoIs sampled per image (ROI_HEADS.BATCH_SIZE_PER_IMAGE).</summary>
    public int PerImage { get; init; } = 512;
    /// <summary>Largest foreground share of the sampled RoIs (ROI_HEADS.POSITIVE_FRACTION).</summary>
    public double PositiveFraction { get; init; } = 0.25;
    /// <summary>IoU from which a RoI is foreground (ROI_HEADS.IOU_THRESHOLDS).</summary>
    public double IouThreshold { get; init; } = 0.5;
    /// <summary>Append the ground-truth boxes to the proposals (PROPOSAL_APPEND_GT).</summary>
    public bool AppendGroundTruth { get; init; } = true;
}

public sealed record DetectorInputOptions
{
    /// <summary>Short sides to draw from per image (MIN_SIZE_TRAIN, sampling "choice"); one value: a single scale.</summary>
    public int[] MinSizes { get; init; } = [640, 672, 704, 736, 768, 800];
    public int MaxSize { get; init; } = 1333;
    /// <summary>The short side at test time (MIN_SIZE_TEST).</summary>
    public int TestMinSize { get; init; } = 800;
    public bool HorizontalFlip { get; init; } = true;
}

public sealed record DetectorSolverOptions
{
    public int BatchSize { get; init; } = 2;
    public long MaxSteps { get; init; } = 90000;
    public double BaseLr { get; init; } = 0.002;
    public double Momentum { get; init; } = 0.9;
    /// <summary>Applied to every trainable tensor (biases and the positional embedding too).</summary>
    public double WeightDecay { get; init; } = 1e-4;
    public long WarmupSteps { get; init; } = 5000;
    public double WarmupFactor { get; init; } = 0.001;
    public long[] Steps { get; init; } = [60000, 80000];
    public double Gamma { get; init; } = 0.1;
    /// <summary>Each parameter tensor's gradient is scaled to at most this L2 norm (0: off, the official setting).</summary>
    public double ClipNorm { get; init; }
    public long CheckpointEvery { get; init; } = 1000;
}

public sealed record DetectorLossOptions
{
    public ClassificationLoss Classification { get; init; } = ClassificationLoss.Focal;
    /// <summary>γ of the focal scaling (FOCAL_SCALED_LOSS; COCO 0.5).</summary>
    public double FocalGamma { get; init; } = 0.5;
    /// <summary>Weight of background RoIs (BG_CLS_LOSS_WEIGHT; COCO 0.2, LVIS 0.8).</summary>
    public double BackgroundWeight { get; init; } = 0.2;
    /// <summary>CLSS_TEMP.</summary>
    public double Temperature { get; init; } = 0.01;
    public double BoxRegressionWeight { get; init; } = 1.0;
}

public sealed record DetectorEvaluationOptions
{
    /// <summary>Evaluate on the test annotations after training (and every <see cref="Every"/> steps when set).</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Steps between evaluations during training (0: only at the end).</summary>
    public long Every { get; init; }
    public double ScoreThreshold { get; init; } = 0.001;
    public int MaxDetections { get; init; } = 100;
    public double NmsThreshold { get; init; } = 0.5;
    /// <summary>Gaussian soft-NMS (the official evaluation scripts set it).</summary>
    public bool SoftNms { get; init; }
    /// <summary>Fuse class scores with the RPN's objectness, sqrt(p · o) (LVIS MULTIPLY_RPN_SCORE).</summary>
    public bool RpnFusion { get; init; }
    /// <summary>Evaluate on at most this many test images (0: all).</summary>
    public int MaxImages { get; init; }
}
