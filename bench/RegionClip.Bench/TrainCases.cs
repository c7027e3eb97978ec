using System.Diagnostics;
using System.Text.Json;
using RegionClip.Torch;
using RegionClip.Training.Transfer;

namespace RegionClip.Bench;

/// <summary>
/// One RegionCLIP transfer-learning step (the official CLIPFastRCNN + CLIPRes5ROIHeads + FastRCNNOutputLayers in
/// training, COCO preset) with CLIP RN50 shapes, mirroring bench_torch.py's train_cases: a <see cref="DetectorTrainer"/>
/// made as `regionclip train` makes it from the files the Python script wrote to train/ (train_smoke/ with --smoke):
/// init.pt (the RN50 visual tower), instances.json with the coco-ovd split (48 training classes), the two images,
/// proposals.json (512 RoIs per image once the ground truth is appended, so the sampler keeps them all and both
/// sides train on the same RoIs), the class embeddings and bbox_pred's start; one scale, no flip, no shuffling,
/// a constant learning rate, no evaluation. A step is <see cref="DetectorTrainer.Step"/>: the batch (decode, resize,
/// normalise, pad, label and sample), forward, focal-scaled CE + L1 box loss, backward and the SGD update (lr 0.002,
/// momentum 0.9, weight decay 1e-4, no clipping). The first step is the warm-up and the parity check; the timed
/// steps train on from it.
/// </summary>
internal static class TrainCases
{
    /// <summary>Loss names shared with the Python side (parity keys are "train_" + name).</summary>
    internal static readonly string[] Losses = ["loss_cls", "loss_box_reg"];

    /// <summary>The folder of the train group's data under the bench's data folder.</summary>
    internal static string Folder(string dataDir, bool smoke) => Path.Combine(dataDir, smoke ? "train_smoke" : "train");

    public static List<CaseResult> Run(string dataDir, bool quick, bool smoke, Dictionary<string, Parity> parity, out TrainSteps steps)
    {
        // Training needs autograd: leave the caller's inference mode, and make every weight outside it.
        using var training = torch.inference_mode(false);
        var folder = Folder(dataDir, smoke);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        var m = manifest.RootElement;
        using var trainer = DetectorTrainer.Create(Options(folder, m));

        var records = new List<DetectorStepRecord> { trainer.Step() };
        int timed = quick ? 1 : 3;
        var seconds = new double[timed];
        var faults = new double[timed];
        var cpu = new double[timed];
        using var process = Process.GetCurrentProcess();
        double CpuMs()
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalMilliseconds;
        }
        for (int i = 0; i < timed; i++)
        {
            var f0 = SystemLoad.MinorFaults();
            var c0 = CpuMs();
            long t0 = Stopwatch.GetTimestamp();
            records.Add(trainer.Step());   // everything the step made is freed before it returns
            seconds[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            cpu[i] = CpuMs() - c0;
            faults[i] = SystemLoad.MinorFaults() - f0;
        }

        var first = records[0];
        var reference = m.GetProperty("reference");
        foreach (var (name, value) in new[] { ("loss_cls", first.Classification), ("loss_box_reg", first.BoxRegression), ("rois", (double)first.Rois), ("foreground", (double)first.Foreground) })
        {
            var expected = reference.GetProperty(name).GetDouble();
            parity["train_" + name] = new Parity(Math.Abs(value - expected), Math.Abs(expected));
            Console.WriteLine($"parity train {name} (step 1): C# {value:G7}, PyTorch {expected:G7} (|difference| {Math.Abs(value - expected):E2})");
        }

        steps = new TrainSteps([.. records.Select(r => r.Classification)], [.. records.Select(r => r.BoxRegression)],
            [.. records.Select(r => r.Rois)], [.. records.Select(r => r.Foreground)]);
        return [new CaseResult("train_step", "s", Stats.Median(seconds), seconds.Min(), seconds) { Faults = faults, CpuMs = cpu }];
    }

    /// <summary>The exact run of the prepared data, as TrainParityTests builds it: everything from the manifest and the folder's files.</summary>
    private static DetectorTrainOptions Options(string folder, JsonElement m)
    {
        string F(string name) => Path.Combine(folder, name);
        int Int(string name) => m.GetProperty(name).GetInt32();
        double Real(string name) => m.GetProperty(name).GetDouble();
        return new DetectorTrainOptions
        {
            Model = new() { Init = F("init.pt"), BoxRegressor = F("bbox_pred.pth"), FreezeAt = Int("freeze_at") },
            Data = new()
            {
                TrainAnnotations = F("instances.json"), TrainImages = folder, Split = m.GetProperty("split").GetString(), Categories = TrainCategories.Base,
                TrainConcepts = F("train_concepts.pth"), TestConcepts = F("test_concepts.pth"), Shuffle = false,
            },
            Regions = new()
            {
                Source = TrainRegionSource.File, Proposals = F("proposals.json"), PerImage = Int("rois_per_image"),
                PositiveFraction = Real("positive_fraction"), IouThreshold = Real("iou_threshold"),
            },
            Input = new() { MinSizes = [Int("min_size")], MaxSize = Int("max_size"), TestMinSize = Int("min_size"), HorizontalFlip = false },
            Solver = new()
            {
                BatchSize = Int("images"), MaxSteps = 1000, BaseLr = Real("lr"), Momentum = Real("momentum"), WeightDecay = Real("weight_decay"),
                WarmupSteps = 0, Steps = [], ClipNorm = 0,
            },
            Loss = new()
            {
                Classification = ClassificationLoss.Focal, FocalGamma = Real("focal_gamma"), BackgroundWeight = Real("bg_weight"),
                Temperature = Real("temperature"),
            },
            Evaluation = new() { Enabled = false },
            Out = F("out"),
        };
    }
}
