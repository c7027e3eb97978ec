using System.Diagnostics;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Structures;
using RegionClip.Torch;

namespace RegionClip.Bench;

/// <summary>
/// Zero-shot detection among given boxes (GT mode, `detect --boxes`), mirroring bench_torch.py's boxes group: 8 RGB
/// images of 800×1216 with 300 boxes each, 1,203 concepts, no objectness, the detect group's post-processing. The timed
/// call is <see cref="ZeroShotDetector.Detect(IReadOnlyList{DetectionImage}, GivenRegions?, ConceptPool?)"/> on batches of
/// <see cref="Batch"/> images, as `detect` runs it; a staged pass splits the time as the Python side does.
/// </summary>
internal static class BoxesCases
{
    /// <summary>Images per call: `detect`'s default --batch.</summary>
    internal const int Batch = 2;

    internal static readonly string[] Stages = ["prepare", "regions", "classify"];

    public static List<CaseResult> Run(string dataDir, bool quick, Dictionary<string, Parity> parity)
    {
        using var model = RegionClipModel.Load(Path.Combine(dataDir, "clip_rn50.pt"));
        var io = CSharpSide.LoadTensors(Path.Combine(dataDir, "boxes_io.pt"));
        try
        {
            using var concepts = ConceptPool.FromEmbeddings(io["concepts"].alias());
            var detector = new ZeroShotDetector(model, concepts, DetectCases.Options with { Fusion = ScoreFusion.None });
            var images = io["images"];
            var boxes = io["boxes"];
            var first = Whole(detector, images, boxes);   // the warm-up, and the parity check
            Check(io, first, parity);
            int wholeRepeats = quick ? 1 : 2;
            var total = new double[wholeRepeats];
            for (int r = 0; r < wholeRepeats; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Whole(detector, images, boxes);
                total[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            var stages = Staged(detector, images, boxes);
            var cases = new List<CaseResult> { new("boxes_8x300", "ms", Stats.Median(total), total.Min(), total) };
            cases.AddRange(Stages.Select(s => new CaseResult("boxes_" + s, "ms", stages[s], stages[s], [stages[s]])));
            if (BFloat16Support.WhyNot is null)
            {
                // The same staged pass with bfloat16 convolutions (`--precision bf16`), after one warm-up pass of its own.
                model.Precision = InferencePrecision.BFloat16;
                Whole(detector, images, boxes);
                var bf16 = Staged(detector, images, boxes)["regions"];
                model.Precision = InferencePrecision.Float32;
                cases.Add(new CaseResult("boxes_regions_bf16", "ms", bf16, bf16, [bf16]));
                Console.WriteLine($"boxes_regions: float32 {stages["regions"]:F0} ms, bf16 {bf16:F0} ms (x{stages["regions"] / bf16:F2})");
            }
            else Console.WriteLine($"boxes_regions_bf16 not measured: {BFloat16Support.WhyNot}");
            return cases;
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    /// <summary>All images through the public API in batches; detections of every image, everything else freed.</summary>
    private static List<IReadOnlyList<Detection>> Whole(ZeroShotDetector detector, Tensor images, Tensor boxes)
    {
        var result = new List<IReadOnlyList<Detection>>();
        for (long start = 0; start < images.size(0); start += Batch)
        {
            using var scope = torch.NewDisposeScope();
            var count = Math.Min(Batch, images.size(0) - start);
            var batch = Enumerable.Range(0, (int)count).Select(i => DetectionImage.Prepare(images[start + i])).ToList();
            try
            {
                result.AddRange(detector.Detect(batch, new GivenRegions([.. Enumerable.Range(0, (int)count).Select(i => boxes[start + i])])));
            }
            finally
            {
                foreach (var image in batch) image.Dispose();
            }
        }
        return result;
    }

    /// <summary>The body of the given-regions detection, stage by stage, summed over the images (ms).</summary>
    private static Dictionary<string, double> Staged(ZeroShotDetector detector, Tensor images, Tensor boxes)
    {
        var ms = Stages.ToDictionary(s => s, _ => 0.0);
        for (long start = 0; start < images.size(0); start += Batch)
        {
            using var scope = torch.NewDisposeScope();
            var count = (int)Math.Min(Batch, images.size(0) - start);
            long t = Stopwatch.GetTimestamp();
            void Lap(string stage)
            {
                var now = Stopwatch.GetTimestamp();
                ms[stage] += Stopwatch.GetElapsedTime(t, now).TotalMilliseconds;
                t = now;
            }
            var batch = Enumerable.Range(0, count).Select(i => DetectionImage.Prepare(images[start + i])).ToList();
            try
            {
                var given = Enumerable.Range(0, count).Select(i => boxes[start + i]).ToList();
                Lap("prepare");
                var features = detector.Model.ExtractRegionFeatures(batch, given);
                Lap("regions");
                for (int i = 0; i < count; i++)
                {
                    var input = batch[i].ToInput(given[i]);
                    var probs = RegionClassifier.Probabilities(features[i], detector.Concepts.Embeddings);
                    using var kept = Postprocess.Run(input, probs, null, batch[i].Height, batch[i].Width, detector.Options);
                    ZeroShotDetector.ToDetections(batch[i], kept, detector.Concepts);
                }
                Lap("classify");
            }
            finally
            {
                foreach (var image in batch) image.Dispose();
            }
        }
        return ms;
    }

    /// <summary>Every image's top reference detections matched as the detect group matches them (<see cref="DetectParity"/>).</summary>
    private static void Check(Dictionary<string, Tensor> io, List<IReadOnlyList<Detection>> detections, Dictionary<string, Parity> parity)
    {
        int compared = 0, matched = 0;
        double box = 0, score = 0, maxScore = 0;
        for (int i = 0; i < detections.Count; i++)
        {
            var one = new Dictionary<string, Tensor>
            {
                ["image"] = io["images"][i], ["det_boxes"] = io[$"det_boxes{i}"], ["det_scores"] = io[$"det_scores{i}"], ["det_classes"] = io[$"det_classes{i}"],
                ["proposal_boxes"] = torch.zeros(0, 4), ["proposal_logits"] = torch.zeros(0),
            };
            try
            {
                var p = DetectParity.Compare(one, new ProposalSnapshot([], []), detections[i]);
                (compared, matched) = (compared + p.Compared, matched + p.Matched);
                (box, score, maxScore) = (Math.Max(box, p.BoxMaxDiff ?? 0), Math.Max(score, p.ScoreMaxDiff ?? 0), Math.Max(maxScore, p.MaxScoreReference));
            }
            finally
            {
                foreach (var k in new[] { "image", "proposal_boxes", "proposal_logits" }) one[k].Dispose();
            }
        }
        parity["boxes_scores"] = new Parity(score, maxScore);
        parity["boxes_boxes"] = new Parity(box, 1216);
        Console.WriteLine($"parity boxes: top detections matched {matched}/{compared} over {detections.Count} images (max |Δbox| {box:G3}, |Δscore| {score:G3})");
        if (matched != compared)
            throw new InvalidOperationException($"boxes: only {matched} of the reference's {compared} top detections were matched; the timings would compare different work");
    }
}
