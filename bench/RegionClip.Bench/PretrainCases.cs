using System.Diagnostics;
using RegionClip.Modeling.Detection;
using RegionClip.Torch;
using RegionClip.Training.Pretraining;

namespace RegionClip.Bench;

/// <summary>
/// One RegionCLIP pretraining step (the official PretrainFastRCNN training step) with CLIP RN50 shapes,
/// mirroring bench_torch.py's pretrain_cases: the student (pretrain_student.pt) and the teacher with its text
/// tower (clip_rn50.pt) loaded as <see cref="RegionTextPretrainer"/> loads them, a <see cref="PretrainBatch"/>
/// made from the saved tensors (2 images of 800×1216, 100 regions and the global box per image, one caption
/// each), 4,764 concepts for student and teacher. A step is <see cref="RegionTextModel.Forward"/> and
/// <see cref="RegionTextPretrainer.Update"/> (backward, per-tensor clipping to 5.0, SGD from
/// <see cref="RegionTextPretrainer.CreateOptimizer"/> at lr 0.002, momentum 0.9, weight decay 1e-4).
/// The first step is the warm-up and the parity check; the timed steps train on from it.
/// </summary>
internal static class PretrainCases
{
    /// <summary>Loss names shared with the Python side (parity keys are "pretrain_" + name).</summary>
    internal static readonly string[] Losses = ["loss_img_txt_level", "loss_region_distill", "loss_concept_contrastive"];

    private const double Threshold = 0.1, TeacherTemperature = 0.01, ClipNorm = 5.0;
    private const int FreezeAt = 2;

    public static List<CaseResult> Run(string dataDir, bool quick, Dictionary<string, Parity> parity, out PretrainSteps steps)
    {
        // Training needs autograd: leave the caller's inference mode, and make every weight outside it.
        using var training = torch.inference_mode(false);
        var io = CSharpSide.LoadTensors(Path.Combine(dataDir, "pretrain_io.pt"));
        try
        {
            var teacher = RegionClipModel.Load(Path.Combine(dataDir, "clip_rn50.pt"), textTower: true);
            var student = RegionClipModel.Load(Path.Combine(dataDir, "pretrain_student.pt"), textTower: false);
            using var model = new RegionTextModel(student, teacher, teacher.Clip, ownsText: false, io["concepts"].clone(), io["concepts"].clone(),
                FreezeAt, new PretrainLossOptions(), Threshold, TeacherTemperature);
            using var optimizer = RegionTextPretrainer.CreateOptimizer(model, new PretrainSolverOptions());
            var regionCounts = Enumerable.Range(0, (int)io["images"].size(0))
                .Select(i => (int)io["rois"].select(1, 0).eq(i).sum().item<long>()).ToArray();
            // The batch's tensors belong to io (disposed below), so the batch itself is not disposed.
            var batch = new PretrainBatch(io["images"], io["rois"], io["global_rois"], io["tokens"], [.. Enumerable.Range(0, regionCounts.Length)], regionCounts);

            var values = new List<StepValues> { Step(model, optimizer, batch) };
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
                values.Add(Step(model, optimizer, batch));
                seconds[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                cpu[i] = CpuMs() - c0;
                faults[i] = SystemLoad.MinorFaults() - f0;
            }

            var first = values[0];
            for (int k = 0; k < Losses.Length; k++)
            {
                var reference = io[Losses[k]].item<double>();
                parity["pretrain_" + Losses[k]] = new Parity(Math.Abs(first.Losses[k] - reference), Math.Abs(reference));
                Console.WriteLine($"parity pretrain {Losses[k]}: C# {first.Losses[k]:G7}, PyTorch {reference:G7} (|difference| {Math.Abs(first.Losses[k] - reference):E2})");
            }
            var keptReference = io["kept_regions"].item<long>();
            parity["pretrain_kept_regions"] = new Parity(Math.Abs(first.Kept - keptReference), keptReference);
            Console.WriteLine($"parity pretrain kept regions: C# {first.Kept}, PyTorch {keptReference} of {first.Regions}");

            steps = new PretrainSteps(
                values.Select(v => v.Losses[0]).ToArray(), values.Select(v => v.Losses[1]).ToArray(), values.Select(v => v.Losses[2]).ToArray(),
                values.Select(v => v.Kept).ToArray());
            return [new CaseResult("pretrain_step", "s", Stats.Median(seconds), seconds.Min(), seconds) { Faults = faults, CpuMs = cpu }];
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    private readonly record struct StepValues(double[] Losses, long Kept, long Regions);

    /// <summary>One training step; everything it made (losses, graph) is freed before it returns.</summary>
    private static StepValues Step(RegionTextModel model, Torch.optim.SGD optimizer, PretrainBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        using var losses = model.Forward(batch);
        RegionTextPretrainer.Update(model, optimizer, losses, ClipNorm);
        return new StepValues([losses.ImageText.item<double>(), losses.Distillation.item<double>(), losses.Contrastive.item<double>()], losses.Kept, losses.Regions);
    }
}
