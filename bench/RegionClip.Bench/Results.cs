using System.Text.Json;
using System.Text.Json.Serialization;

namespace RegionClip.Bench;

/// <summary>One timed case on one side: per-call µs or per-forward ms, every sample kept.</summary>
internal sealed record CaseResult(string Name, string Unit, double Median, double Min, double[] Samples)
{
    /// <summary>Minor page faults of each forward (ResNet cases): fresh pages for large activations cost real time.</summary>
    public double[]? Faults { get; init; }

    /// <summary>CPU time of the whole process during each sample (detect_image), in ms: less sensitive than wall time to other processes.</summary>
    public double[]? CpuMs { get; init; }
}

/// <summary>What one side (pytorch or csharp) measured; the Python script writes the same shape.</summary>
internal sealed record SideResult(string Side, string TorchVersion, int Threads, string? OmpNumThreads, List<CaseResult> Cases)
{
    /// <summary>Max |logits − PyTorch's saved logits| per input size: C# parity, or PyTorch's own determinism.</summary>
    public Dictionary<string, Parity>? Parity { get; init; }

    /// <summary>The detect group's proposals and detections against the PyTorch reference (its own rerun on the PyTorch side).</summary>
    public DetectParity? DetectParity { get; init; }

    /// <summary>The process's resident-set high-water mark (ru_maxrss / VmHWM) in MB, read when it finished.</summary>
    public double? PeakRssMb { get; init; }

    /// <summary>The pretrain group's losses and kept regions of every step, the warm-up step (step 1) first.</summary>
    public PretrainSteps? PretrainSteps { get; init; }

    /// <summary>The train group's losses, RoIs and foreground RoIs of every step, the warm-up step (step 1) first.</summary>
    public TrainSteps? TrainSteps { get; init; }
}

/// <summary>Per step of one pretrain process (warm-up first): the three losses and the regions the teacher kept.</summary>
internal sealed record PretrainSteps(double[] LossImgTxtLevel, double[] LossRegionDistill, double[] LossConceptContrastive, long[] KeptRegions);

/// <summary>The pretrain or train group per side: median seconds and CPU seconds per timed step, peak resident memory of its processes.</summary>
internal sealed record StepSide(double SecondsPerStep, double? CpuSecondsPerStep, double? PeakRssMb);

internal sealed record PretrainSummary(StepSide Pytorch, StepSide Csharp);

/// <summary>Per step of one train process (warm-up first): the two losses, the sampled RoIs and how many were foreground.</summary>
internal sealed record TrainSteps(double[] LossCls, double[] LossBoxReg, long[] Rois, long[] Foreground);

/// <summary>The train group's shapes, as the prepared data has them (smoke: the reduced size of --smoke, no measurement).</summary>
internal sealed record TrainSetting(bool Smoke, int Images, int Height, int Width, int RoisPerImage, int ForegroundPerImage, int TrainClasses, int TestClasses);

/// <summary>
/// One value of every step compared between the C# and the PyTorch process of the same round (both start from the same
/// weights and train on the same batch): the largest |C# − PyTorch|, the largest relative difference, and over how many steps.
/// </summary>
internal sealed record StepParity(double MaxAbsDiff, double MaxRelativeDiff, int Steps);

/// <summary>The train group: both sides' step times and memory, ratio C#/PyTorch of s/step, the setting and the parity of every step.</summary>
internal sealed record TrainSummary(StepSide Pytorch, StepSide Csharp, double Ratio, TrainSetting? Setting, Dictionary<string, StepParity> StepParity);

internal sealed record Parity(double MaxAbsDiff, double MaxAbsReference);

/// <summary>One child process run: how long it took and how busy the rest of the machine was meanwhile.</summary>
internal sealed record RunInfo(string Side, int Round, double WallSeconds, double WaitedForQuietSeconds, double? OtherLoadCores)
{
    /// <summary>The --only groups of that process.</summary>
    public string? Groups { get; init; }
}

/// <summary>
/// The detect group per side: seconds per image (median of the whole-pipeline passes), images/s,
/// the medians of the staged pass (ms) and the peak resident memory of the process that ran it.
/// </summary>
internal sealed record DetectSide(double SecondsPerImage, double ImagesPerSecond, double? CpuSecondsPerImage, Dictionary<string, double> StageMs, double? PeakRssMb);

internal sealed record DetectSummary(DetectSide Pytorch, DetectSide Csharp, DetectParity? Parity, DetectParity? PytorchRerun);

/// <summary>One row of the comparison table.</summary>
internal sealed record Comparison(string Name, string Unit, double Pytorch, double Csharp, double Ratio);

internal sealed record BenchReport(
    string Timestamp,
    string Machine,
    int Cores,
    int Threads,
    string TorchVersion,
    int Rounds,
    double[] LoadBefore,
    double[] LoadAfter,
    List<Comparison> Comparisons,
    Dictionary<string, Parity>? Parity,
    DetectSummary? Detect,
    PretrainSummary? Pretrain,
    TrainSummary? Train,
    List<RunInfo> Runs,
    List<SideResult> Pytorch,
    List<SideResult> Csharp);

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static T Read<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) ?? throw new InvalidDataException($"'{path}' holds no JSON value");

    public static void Write<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
    }
}
