using System.Diagnostics;
using RegionClip.Data;
using RegionClip.Data.Coco;
using RegionClip.Evaluation;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Training.Engine;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Training.Transfer;

/// <summary>What an evaluation of a trained detector on held-out images measured: the open-vocabulary split's metrics and the standard ones.</summary>
/// <param name="SkippedImages">Test images that could not be read (named through the warning callback); they count as images without detections.</param>
public sealed record DetectorEvaluationResult(int Images, int Detections, IReadOnlyDictionary<string, double> Split, IReadOnlyDictionary<string, double> Standard, double Seconds,
    int SkippedImages = 0)
{
    /// <summary>COCO: AP50_novel / AP50_base / AP50_all; LVIS: AP_novel / AP_base / AP_all.</summary>
    public double Novel => Pick("novel");
    public double Base => Pick("base");
    public double All => Pick("all");

    private double Pick(string suffix) => Split.FirstOrDefault(kv => kv.Key.EndsWith("_" + suffix, StringComparison.Ordinal)).Value;
}

/// <summary>
/// Inference of a transfer-trained detector as the official evaluation runs it (SPEC §7.5): each test image at the
/// test size, its proposals (offline RPN or a file), region embeddings, the open-set test embeddings (every category)
/// with the zero background at the temperature, class-agnostic box deltas applied (dw, dh clamped), per-class NMS or
/// soft-NMS, RPN fusion where asked; then COCO or LVIS metrics with novel / base / all.
/// </summary>
public static class DetectorEvaluation
{
    /// <param name="testCategoryIds">The dataset category id of each test embedding row (ascending id).</param>
    /// <param name="parallel">The ranks of a data-parallel job split the images and gather the detections: every rank must call, and
    /// every rank returns the single-process result.</param>
    public static DetectorEvaluationResult Run(OpenVocabularyDetector detector, CocoDataset gt, string imageRoot, OpenVocabularySplit split,
        IReadOnlyList<long> testCategoryIds, DetectionResize resize, ProposalNetwork? rpn, ProposalOptions? proposalOptions,
        IReadOnlyList<ImageProposals>? fileProposals, DetectionOptions options, double temperature, int maxImages = 0,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default, Action<string>? warn = null, DataParallel? parallel = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        var clock = Stopwatch.StartNew();
        var images = maxImages > 0 ? gt.Images.Take(maxImages).ToList() : gt.Images.ToList();
        var detections = new List<CocoDetection>();
        int skipped = 0;
        var ranks = parallel ?? DataParallel.Single;
        var (offset, count) = ranks.Split(images.Count);
        for (int i = offset; i < offset + count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            DetectionImage image;
            try
            {
                image = DetectionImage.Load(gt.ImageFile(images[i], imageRoot), resize);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                skipped++;
                warn?.Invoke($"evaluation skips '{gt.ImageFile(images[i], imageRoot)}': {e.Message}");
                continue;
            }
            using var _ = image;
            RegionClipModel.EnsureFits(image);
            Tensor boxes;
            Tensor? objectness = null;
            if (rpn is not null)
            {
                var set = rpn.Propose(image, proposalOptions ?? ProposalOptions.Transfer(rpn.Kind));
                (boxes, objectness) = (set.Boxes, set.Objectness);
            }
            else
            {
                var p = fileProposals![i];   // assigned to gt.Images in order; images are its first ones
                boxes = image.ToInput(Box.ToTensor(p.Boxes));
                if (p.Scores is not null) objectness = torch.tensor(p.Scores, p.Scores.Length);
            }
            var kept = Detect(detector, image, boxes, objectness, options, temperature);
            using var original = image.ToOriginal(kept.Boxes);
            var b = Box.FromTensor(original);
            var scores = kept.Scores.data<float>();
            var classes = kept.Classes.data<long>();
            for (int j = 0; j < b.Length; j++)
                if (b[j].Width > 0 && b[j].Height > 0)
                    detections.Add(new CocoDetection(images[i].Id, testCategoryIds[(int)classes[j]], b[j].ToXywh(), scores[j]));
            kept.Dispose();
            progress?.Report((Math.Min((i - offset + 1) * ranks.WorldSize, images.Count), images.Count));   // this rank's pace for the job's
        }
        detections = ranks.GatherDetections(detections);
        skipped = (int)ranks.Sum(skipped)[0];
        var subset = maxImages > 0 && maxImages < gt.Images.Count ? gt.Subset(images.Select(im => im.Id).ToHashSet()) : gt;
        var evaluation = subset.IsLvis ? LvisEvaluator.Evaluate(subset, detections) : CocoEvaluator.Evaluate(subset, detections);
        var splitMetrics = SplitMetrics.Compute(evaluation, split).ToDictionary(kv => kv.Key, kv => kv.Value);
        var standard = (subset.IsLvis ? LvisEvaluator.StatNames : CocoEvaluator.StatNames).ToDictionary(n => n, n => evaluation[n]);
        return new DetectorEvaluationResult(images.Count, detections.Count, splitMetrics, standard, clock.Elapsed.TotalSeconds, skipped);
    }

    /// <summary>One image's detections in its resized pixels: the test-class probabilities, decoded boxes, post-processing.</summary>
    internal static KeptPairs Detect(OpenVocabularyDetector detector, DetectionImage image, Tensor proposals, Tensor? objectness,
        DetectionOptions options, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        using var guard = torch.inference_mode();
        var features = detector.Model.EncodeRegions(image, proposals);
        var probs = F.softmax(detector.Predictor.Logits(features, test: true, temperature), 1);
        var boxes = detector.Predictor.RegressBoxes(features, proposals);
        var kept = Postprocess.Run(boxes, probs, objectness, image.Height, image.Width, options);
        return new KeptPairs(kept.Boxes.MoveToOuterScope(), kept.Scores.MoveToOuterScope(), kept.Classes.MoveToOuterScope(), kept.Regions.MoveToOuterScope());
    }
}
