using System.Diagnostics;
using RegionClip.Data;
using RegionClip.Data.Coco;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Synthetic;
using RegionClip.Text;
using RegionClip.Torch;
using RegionClip.Training.Engine;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Cli.Demo;

/// <summary>One val image's detections, kept for the report's pictures.</summary>
public sealed record PictureDetections(string File, IReadOnlyList<Detection> Detections);

/// <summary>What the zero-shot evaluation of one model on the val world measured (<c>Crop</c> only where asked for, <c>RpnMode</c> only with an RPN).</summary>
public sealed record DemoEvaluationResult(
    int Images, int GtBoxes, Top1Accuracy Region, Top1Accuracy? Crop, DetectionScores GtMode, DetectionScores? RpnMode,
    IReadOnlyList<PictureDetections> Pictures, double Seconds);

/// <summary>
/// Zero-shot detection with a model (the teacher, or the pretrained student) on the val world, every category named by the world's
/// vocabulary: (1) GT mode — the ground-truth boxes classified by RegionCLIP's region features
/// (RoIAlign on res4 → res5 → attention pool), scored as COCO AP50 over novel / base / all; the same
/// boxes' top-1 accuracy against crop-then-CLIP (each box cut out, squashed to the teacher's input
/// size and encoded as a whole image: the paper's Fig. 1 comparison); (2) RPN mode — the trained
/// class-agnostic RPN's proposals instead of the ground truth, scores fused with sigmoid(objectness).
/// </summary>
internal static class DemoEvaluation
{
    private const int Batch = 16;

    /// <param name="name">Names the model in progress messages.</param>
    /// <param name="withCrops">Also classify each box by crop-then-CLIP (the Fig. 1 comparison, for the teacher).</param>
    /// <param name="rpn">The RPN of the RPN-box rows; null evaluates the ground-truth boxes only (a few times faster).</param>
    /// <param name="parallel">Ranks of a data-parallel job split the val images (rank 0 the first part, where the pictures come from) and
    /// gather each other's results, so every rank returns the numbers of a single-process run.</param>
    public static DemoEvaluationResult Run(string worldDir, string modelPath, string name, bool withCrops, ProposalNetwork? rpn, DemoOptions options,
        DataParallel parallel, IProgress<DemoProgress>? progress, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var gt = CocoDataset.Load(Path.Combine(worldDir, "instances_val.json"));
        var split = OpenVocabularySplit.Load(Path.Combine(worldDir, WorldWriter.CategorySplitFile), gt);
        var novel = split.NovelCategoryIds.ToHashSet();
        using var model = RegionClipModel.Load(modelPath);
        model.Precision = options.Precision;
        var tokenizer = ClipTokenizer.Load(Path.Combine(worldDir, WorldVocabulary.FileName));
        using var concepts = ConceptPool.Create(model.Clip, tokenizer, gt.Categories.Select(c => c.Name).ToList(), gt.Categories.Select(c => c.Id).ToList(), cancel: cancel);
        var gtOptions = DetectionOptions.Coco;
        var rpnOptions = DetectionOptions.Coco with { Fusion = ScoreFusion.Sigmoid };
        var detector = new ZeroShotDetector(model, concepts, gtOptions);
        var rpnDetector = rpn is null ? null : new ZeroShotDetector(model, concepts, rpnOptions) { Proposer = rpn, ProposalOptions = ProposalOptions.ZeroShot(rpn.Kind) };

        var regionHits = new List<(long Category, long Predicted)>();
        var cropHits = new List<(long Category, long Predicted)>();
        var names = gt.Categories.ToDictionary(c => c.Id, c => c.Name);
        var gtDetections = new List<CocoDetection>();
        var rpnDetections = new List<CocoDetection>();
        var pictures = new List<PictureDetections>();
        double gtSeconds = 0, rpnSeconds = 0;
        var (offset, count) = parallel.Split(gt.Images.Count);
        var images = gt.Images.Skip(offset).Take(count).ToList();
        for (int start = 0; start < images.Count; start += Batch)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var batch = images.Skip(start).Take(Batch).ToList();
            var files = batch.Select(im => gt.ImageFile(im, worldDir)).ToList();
            var rgb = files.Select(ImageIO.Read).ToList();
            var prepared = batch.Select((im, i) => DetectionImage.Prepare(rgb[i], options.DetectionResize, im.FileName)).ToList();
            try
            {
                var annotations = batch.Select(im => GroundTruthBoxes.Of(gt, im.Id).ToList()).ToList();
                var boxes = annotations.Select(a => Box.ToTensor(a.Select(GroundTruthBoxes.ToBox).ToList())).ToList();

                var t = Stopwatch.StartNew();
                var gtFound = detector.Detect(prepared, new GivenRegions(boxes));
                gtSeconds += t.Elapsed.TotalSeconds;
                for (int i = 0; i < batch.Count; i++) gtDetections.AddRange(ToCoco(batch[i].Id, gtFound[i]));

                var features = model.ExtractRegionFeatures(prepared, boxes);
                var crops = withCrops ? CropFeatures(model, rgb, annotations) : null;
                for (int i = 0; i < batch.Count; i++)
                {
                    var regionBest = BestConcept(features[i], concepts.Embeddings);
                    var cropBest = crops is null ? null : BestConcept(crops[i], concepts.Embeddings);
                    for (int j = 0; j < annotations[i].Count; j++)
                    {
                        long category = annotations[i][j].CategoryId;
                        regionHits.Add((category, concepts.CategoryIds![regionBest[j]]));
                        if (cropBest is not null) cropHits.Add((category, concepts.CategoryIds![cropBest[j]]));
                    }
                }

                if (rpnDetector is not null)
                {
                    t.Restart();
                    var rpnFound = rpnDetector.Detect(prepared);
                    rpnSeconds += t.Elapsed.TotalSeconds;
                    for (int i = 0; i < batch.Count; i++) rpnDetections.AddRange(ToCoco(batch[i].Id, rpnFound[i]));
                    for (int i = 0; i < batch.Count && pictures.Count < options.Pictures; i++)
                        if (annotations[i].Count > 1)
                            pictures.Add(new PictureDetections(batch[i].FileName!, rpnFound[i].Where(d => d.Score > options.PictureThreshold).ToList()));
                }
            }
            finally
            {
                foreach (var p in prepared) p.Dispose();
            }
            // Rank 0's share of the whole, at the job's pace (ranks run in step).
            int done = Math.Min(start + Batch, images.Count) * parallel.WorldSize;
            progress?.Report(new DemoProgress(DemoStage.Evaluation, $"zero-shot detection on val: {name}", Math.Min(done, gt.Images.Count), gt.Images.Count,
                ItemsPerSecond: done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3)));
        }

        gtDetections = parallel.GatherDetections(gtDetections);
        if (rpnDetector is not null) rpnDetections = parallel.GatherDetections(rpnDetections);
        BoxPrediction Named((long Category, long Predicted) hit) => new(names[hit.Category], novel.Contains(hit.Category), names[hit.Predicted]);
        var regions = GatherPairs(parallel, regionHits).Select(Named).ToList();
        var cropped = GatherPairs(parallel, cropHits).Select(Named).ToList();
        var gtScores = Score(gt, split, gtDetections, gtSeconds);
        var rpnScores = rpnDetector is null ? null : Score(gt, split, rpnDetections, rpnSeconds);
        return new DemoEvaluationResult(gt.Images.Count, regions.Count, Top1Accuracy.Count(regions), withCrops ? Top1Accuracy.Count(cropped) : null,
            gtScores, rpnScores, pictures, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Every rank's (true, predicted) category pairs, in rank order.</summary>
    private static List<(long, long)> GatherPairs(DataParallel parallel, List<(long Category, long Predicted)> local)
    {
        if (!parallel.IsDistributed) return local;
        var all = parallel.GatherRows([.. local.SelectMany(p => new double[] { p.Category, p.Predicted })], 2);
        return [.. Enumerable.Range(0, all.Length / 2).Select(i => ((long)all[2 * i], (long)all[2 * i + 1]))];
    }

    private static IEnumerable<CocoDetection> ToCoco(long imageId, IReadOnlyList<Detection> detections) =>
        detections.Select(d => d.ToCoco(imageId));

    private static DetectionScores Score(CocoDataset gt, OpenVocabularySplit split, List<CocoDetection> detections, double seconds)
    {
        var evaluation = CocoEvaluator.Evaluate(gt, detections);
        var open = SplitMetrics.Compute(evaluation, split).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new DetectionScores(open["AP50_novel"], open["AP50_base"], open["AP50_all"], evaluation["AP"], evaluation["AP50"], detections.Count, seconds);
    }

    /// <summary>Index of the most similar concept for each region (cosine similarity).</summary>
    private static int[] BestConcept(Tensor regions, Tensor concepts)
    {
        if (regions.size(0) == 0) return [];
        using var scope = torch.NewDisposeScope();
        var best = F.normalize(regions, dim: 1).matmul(F.normalize(concepts, dim: 1).t()).argmax(1).data<long>();
        return best.ToArray().Select(v => (int)v).ToArray();
    }

    /// <summary>
    /// Crop-then-CLIP: each box cut out of the original image (whole pixels covering it), squashed to
    /// the teacher's input size as the teacher saw whole images, and encoded as an image.
    /// </summary>
    private static IReadOnlyList<Tensor> CropFeatures(RegionClipModel model, IReadOnlyList<Tensor> rgb, IReadOnlyList<List<CocoAnnotation>> annotations)
    {
        var resolution = model.Config.ImageResolution;
        var result = new Tensor[rgb.Count];
        using var guard = torch.inference_mode();
        for (int i = 0; i < rgb.Count; i++)
        {
            if (annotations[i].Count == 0)
            {
                result[i] = torch.zeros(0, model.EmbedDim);
                continue;
            }
            using var scope = torch.NewDisposeScope();
            long height = rgb[i].size(0), width = rgb[i].size(1);
            var views = annotations[i].Select(a =>
            {
                long x1 = Math.Clamp((long)Math.Floor(a.Bbox[0]), 0, width - 1), y1 = Math.Clamp((long)Math.Floor(a.Bbox[1]), 0, height - 1);
                long x2 = Math.Clamp((long)Math.Ceiling(a.Bbox[0] + a.Bbox[2]), x1 + 1, width), y2 = Math.Clamp((long)Math.Ceiling(a.Bbox[1] + a.Bbox[3]), y1 + 1, height);
                return ImageCaptionDataset.TeacherView(rgb[i].narrow(0, y1, y2 - y1).narrow(1, x1, x2 - x1).contiguous(), resolution);
            }).ToArray();
            result[i] = model.Clip.encode_image(ImageCaptionDataset.Normalize(torch.stack(views))).MoveToOuterScope();
        }
        return result;
    }
}
