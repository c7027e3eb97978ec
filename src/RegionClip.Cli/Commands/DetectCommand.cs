using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using RegionClip.Data.Coco;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;
using Spectre.Console;

namespace RegionClip.Cli.Commands;

/// <summary>
/// Zero-shot detection with regions from an offline RPN (--rpn), precomputed proposals with optional
/// objectness (--proposals), given boxes (--boxes) or every image's ground-truth boxes (--gt, the
/// paper's "GT boxes" protocol). Writes COCO results JSON, pictures and a gallery.
/// </summary>
internal static class DetectCommand
{
    private sealed record Job(string Path, long ImageId, IReadOnlyList<Box>? Boxes, float[]? Objectness = null);

    internal static Command Create()
    {
        var model = CommonOptions.Model();
        var vocabulary = new VocabularyOptions();
        var resize = new DetectionResizeOptions();
        var boxes = new Option<string?>("--boxes") { Description = "JSON of regions: a list of [x1, y1, x2, y2] for every image, or {\"file.jpg\": [[…]], …}" };
        var gt = new Option<string?>("--gt") { Description = "COCO/LVIS instances JSON: detect among each image's non-crowd ground-truth boxes" };
        var rpn = new Option<string?>("--rpn") { Description = "Offline RPN checkpoint (rpn_lvis_866.pth, rpn_coco_48.pth, …): regions are its proposals (NMS 0.9, 1000 per image)" };
        var proposals = new Option<string?>("--proposals") { Description = ProposalsFile.FormatHelp };
        var fusion = new Option<ScoreFusion>("--fusion") { Description = "With --rpn or --proposals with scores: combine class probability p and objectness o as the reference does, sqrt(p·o) on the raw logit (Reference), as sqrt(p·sigmoid(o)) (Sigmoid), or not at all (None)", DefaultValueFactory = _ => ScoreFusion.Reference };
        var imageRoot = new Option<string?>("--image-root") { Description = "Folder of the --gt images (default: the JSON's folder)" };
        var score = new Option<double?>("--score-threshold") { Description = "Keep (region, class) pairs scoring above this (default: 0.02; --gt: 0.001 COCO, 0.0001 LVIS)" };
        var nms = new Option<double?>("--nms-threshold") { Description = "Per-class NMS IoU threshold (default: 0.3; --gt: 0.5)" };
        var topK = new Option<int?>("--max-detections") { Description = "Detections per image (default: 300; --gt: 100 COCO, 300 LVIS)" };
        var softNms = new Option<bool>("--soft-nms") { Description = "Gaussian soft-NMS (sigma 0.5) instead of hard NMS" };
        var batch = new Option<int>("--batch") { Description = "Images per batch", DefaultValueFactory = _ => 2 };
        var precision = CommonOptions.Precision();
        var drawThreshold = new Option<double>("--draw-threshold") { Description = "Pictures show detections scoring above this (at most 25 per image)", DefaultValueFactory = _ => 0.05 };
        var output = new Option<string?>("--out") { Description = "Folder for results.json (COCO results), detections.json, one SVG picture per image and an index.html gallery; default: results JSON on stdout" };
        var images = new Argument<string[]>("IMAGES") { Description = "JPEG/PNG files, folders, or .txt lists of them, one per line (with --rpn, --proposals or --boxes)", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("detect", "Zero-shot detection of any vocabulary, with regions from an RPN (--rpn), precomputed proposals (--proposals), given boxes (--boxes) or ground-truth boxes (--gt)")
        {
            model, rpn, proposals, boxes, gt, imageRoot, fusion, score, nms, topK, softNms, batch, drawThreshold, output, images,
        };
        foreach (var o in resize.All().Concat(vocabulary.All())) cmd.Options.Add(o);
        cmd.Options.Add(precision);
        cmd.SetAction(pr => CliOutput.Run(() =>
        {
            var (rpnPath, proposalsPath, boxesPath, gtPath) = (pr.GetValue(rpn), pr.GetValue(proposals), pr.GetValue(boxes), pr.GetValue(gt));
            if (new[] { rpnPath, proposalsPath, boxesPath, gtPath }.Count(p => p is not null) != 1)
                throw new ArgumentException("give the regions with exactly one of --rpn, --proposals, --boxes or --gt");
            // Read before the model loads, so a bad file fails at once.
            var proposalsFile = proposalsPath is null ? null : ProposalsFile.Read(proposalsPath);
            if (proposalsFile is { HasScores: false } && pr.GetResult(fusion) is { Implicit: false } && pr.GetValue(fusion) != ScoreFusion.None)
                throw new ArgumentException($"--fusion {pr.GetValue(fusion)} needs objectness scores, and '{proposalsPath}' has none (\"scores\" lists or \"score\" fields)");
            if (pr.GetValue(batch) < 1) throw new ArgumentException("--batch must be at least 1");
            // A fine-tuned detector (roi_heads.box_predictor.*) brings its box regressor and its own test embeddings.
            // Precomputed concepts need no text tower: not building it saves a third of an RN50 file's weights at start.
            var (regionClip, finetuned) = OpenVocabularyDetector.LoadModel(pr.GetValue(model)!, textTower: pr.GetValue(vocabulary.Concepts) is null);
            using var owner = (IDisposable?)finetuned ?? regionClip;
            regionClip.Precision = pr.GetValue(precision);
            using var proposer = rpnPath is null ? null : ProposalNetwork.Load(rpnPath);
            CocoDataset? dataset = gtPath is null ? null : CocoDataset.Load(gtPath);
            List<Job> jobs;
            ConceptPool pool;
            DetectionOptions preset;
            if (dataset is null)
            {
                var files = ImageFiles.Expand(pr.GetValue(images) ?? []);
                if (proposalsFile is not null)
                {
                    var assigned = proposalsFile.Assign(files);
                    jobs = files.Select((f, i) => new Job(f, i + 1, assigned[i].Boxes, assigned[i].Scores)).ToList();
                }
                else
                {
                    var file = boxesPath is null ? null : BoxesFile.Read(boxesPath);
                    jobs = files.Select((f, i) => new Job(f, i + 1, file?.For(f))).ToList();
                }
                pool = FineTunedVocabulary(pr, vocabulary, finetuned, null) ?? vocabulary.Build(pr, regionClip)
                    ?? throw new ArgumentException("name the vocabulary with --classes, --vocab-file, --categories or --concepts");
                // RPN mode (and scored proposals) as the custom-image config: fused ranking, pre-fusion probabilities reported.
                var fused = proposer is not null || proposalsFile is { HasScores: true };
                preset = !fused ? DetectionOptions.CustomImages
                    : DetectionOptions.CustomImages with { Fusion = pr.GetValue(fusion), ReportUnfusedScores = pr.GetValue(fusion) == ScoreFusion.Reference };
            }
            else
            {
                if (pr.GetValue(images) is { Length: > 0 }) throw new ArgumentException("with --gt the images come from the JSON; do not list IMAGES");
                var root = pr.GetValue(imageRoot) ?? Path.GetDirectoryName(Path.GetFullPath(gtPath!))!;
                jobs = dataset.Images.Select(im => new Job(dataset.ImageFile(im, root), im.Id, GroundTruthBoxes.Of(dataset, im.Id).Select(GroundTruthBoxes.ToBox).ToList())).ToList();
                pool = FineTunedVocabulary(pr, vocabulary, finetuned, dataset) ?? GroundTruthVocabulary(pr, vocabulary, regionClip, dataset);
                preset = DetectionOptions.ForDataset(dataset);
            }
            using var _ = pool;
            var options = preset with
            {
                ScoreThreshold = pr.GetValue(score) ?? preset.ScoreThreshold,
                NmsThreshold = pr.GetValue(nms) ?? preset.NmsThreshold,
                MaxDetections = pr.GetValue(topK) ?? preset.MaxDetections,
                SoftNms = pr.GetValue(softNms),
            };
            var detector = new ZeroShotDetector(regionClip, pool, options)
            {
                Proposer = proposer, BoxRegressor = finetuned?.Predictor, RefineGivenRegions = proposalsFile is not null,
            };
            var outDir = pr.GetValue(output);
            DetectionPictures? pictures = null;
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
                pictures = new DetectionPictures(outDir, pr.GetValue(drawThreshold), 25);
            }
            var run = Run(detector, jobs, resize.Get(pr), pr.GetValue(batch), pictures);
            pictures?.WriteGallery($"regionclip detect: {string.Join(", ", pool.Names.Take(8))}{(pool.Count > 8 ? ", …" : "")}");
            Write(run, pool, outDir);
            return run.Errors.Count == jobs.Count && jobs.Count > 0 ? 1 : 0;
        }));
        return cmd;
    }

    private sealed record ImageResult(Job Job, int Width, int Height, IReadOnlyList<Detection> Detections);
    private sealed record RunResult(List<ImageResult> Images, List<(string Path, string Error)> Errors, double Seconds);

    private static RunResult Run(ZeroShotDetector detector, List<Job> jobs, DetectionResize resize, int batchSize, DetectionPictures? pictures)
    {
        var results = new List<ImageResult>();
        var errors = new List<(string, string)>();
        var clock = Stopwatch.StartNew();
        CliProgress.Run($"detecting in {jobs.Count} image(s)", jobs.Count, progress =>
        {
            for (int start = 0; start < jobs.Count; start += batchSize)
            {
                var batch = new List<(Job Job, DetectionImage Image)>();
                try
                {
                    foreach (var job in jobs.Skip(start).Take(batchSize))
                    {
                        try
                        {
                            var image = DetectionImage.Load(job.Path, resize);
                            try
                            {
                                RegionClipModel.EnsureFits(image);
                            }
                            catch
                            {
                                image.Dispose();
                                throw;
                            }
                            batch.Add((job, image));
                        }
                        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                        {
                            errors.Add((job.Path, e.Message));
                            pictures?.AddFailure(job.Path, e.Message);
                            CliOutput.Human.MarkupLine($"[yellow]skipped[/] {Markup.Escape(job.Path)}: {Markup.Escape(e.Message)}");
                        }
                    }
                    if (batch.Count == 0) continue;   // every image of this batch failed to load (reported above)
                    using var scope = torch.NewDisposeScope();
                    var images = batch.Select(b => b.Image).ToList();
                    var dets = detector.Proposer is not null
                        ? detector.Detect(images)
                        : detector.Detect(images, new GivenRegions(batch.Select(b => Box.ToTensor(b.Job.Boxes!)).ToList(),
                            batch.All(b => b.Job.Objectness is not null) ? batch.Select(b => torch.tensor(b.Job.Objectness!)).ToList() : null));
                    for (int i = 0; i < batch.Count; i++)
                    {
                        results.Add(new ImageResult(batch[i].Job, batch[i].Image.OriginalWidth, batch[i].Image.OriginalHeight, dets[i]));
                        pictures?.Add(batch[i].Job.Path, batch[i].Image, dets[i]);
                    }
                }
                finally
                {
                    foreach (var b in batch) b.Image.Dispose();
                }
                progress.Report(Math.Min(start + batchSize, jobs.Count));
            }
            return 0;
        });
        return new RunResult(results, errors, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// A fine-tuned detector's own test embeddings (test_cls_score, rows in ascending category id) when no vocabulary is
    /// given, or when the vocabulary is a categories file (or the ground truth) whose category count matches and the
    /// file has no text tower to embed names with (the official fine-tuned files). Null: embed the vocabulary as usual.
    /// </summary>
    private static ConceptPool? FineTunedVocabulary(ParseResult pr, VocabularyOptions vocabulary, OpenVocabularyDetector? finetuned, CocoDataset? dataset)
    {
        if (finetuned?.Predictor.TestClsScore is not { } test) return null;
        var rows = test.weight.size(0);
        Tensor Own() { using var w = test.weight.detach(); return w.clone(); }
        var categoriesPath = pr.GetValue(vocabulary.Categories);
        bool onlyCategories = categoriesPath is not null && pr.GetValue(vocabulary.Classes) is null && pr.GetValue(vocabulary.VocabFile) is null && pr.GetValue(vocabulary.Concepts) is null;
        var categories = dataset ?? (onlyCategories ? CocoDataset.Load(categoriesPath!) : null);
        if (vocabulary.AnyGiven(pr) && !(onlyCategories && !finetuned.Model.HasTextTower)) return null;
        if (categories is not null)
        {
            if (categories.Categories.Count != rows)
            {
                if (finetuned.Model.HasTextTower) return null;   // names can be embedded instead
                throw new ArgumentException($"'{finetuned.Model.Source}' holds test embeddings of {rows} classes but '{categories.Path}' has {categories.Categories.Count} categories, and the file has no text tower to embed names: give --concepts");
            }
            var cats = categories.Categories.OrderBy(c => c.Id).ToList();
            return ConceptPool.FromEmbeddings(Own(), [.. cats.Select(c => c.Name)], [.. cats.Select(c => c.Id)]);
        }
        return ConceptPool.FromEmbeddings(Own(), [.. Enumerable.Range(1, (int)rows).Select(i => $"class_{i}")]);
    }

    /// <summary>The GT's categories (ascending id) unless a vocabulary is given; given names must be GT categories.</summary>
    private static ConceptPool GroundTruthVocabulary(ParseResult pr, VocabularyOptions vocabulary, RegionClipModel model, CocoDataset dataset)
    {
        var byName = dataset.Categories.ToDictionary(c => c.Name, c => c.Id, StringComparer.Ordinal);
        if (!vocabulary.AnyGiven(pr))
        {
            var cats = dataset.Categories.OrderBy(c => c.Id).ToList();
            return vocabulary.Embed(pr, model, cats.Select(c => c.Name).ToList(), cats.Select(c => c.Id).ToList());
        }
        var pool = vocabulary.Build(pr, model)!;
        if (pool.CategoryIds is not null) return pool;
        var unnamed = pool.Names.All(n => n.StartsWith("concept_", StringComparison.Ordinal));
        IReadOnlyList<long> ids;
        if (unnamed && pool.Count == dataset.Categories.Count)
            ids = dataset.Categories.Select(c => c.Id).Order().ToList();   // official files: rows in ascending id
        else
        {
            var missing = pool.Names.FirstOrDefault(n => !byName.ContainsKey(n));
            if (missing is not null)
            {
                pool.Dispose();
                throw new ArgumentException($"concept '{missing}' is not a category of '{dataset.Path}', so its detections could not be evaluated");
            }
            ids = pool.Names.Select(n => byName[n]).ToList();
        }
        var names = pool.Names;
        var embeddings = pool.Embeddings.alias();
        pool.Dispose();
        return ConceptPool.FromEmbeddings(embeddings, names, ids);
    }

    private static void Write(RunResult run, ConceptPool pool, string? outDir)
    {
        var coco = run.Images.SelectMany(r => r.Detections.Select(d => d.ToCoco(r.Job.ImageId))).ToList();
        var total = run.Images.Sum(r => r.Detections.Count);
        var rate = run.Images.Count / Math.Max(run.Seconds, 1e-9);
        CliOutput.Human.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{total}[/] detections in {run.Images.Count} image(s), {run.Seconds:F1} s ({rate:F2} images/s){(run.Errors.Count > 0 ? $", [yellow]{run.Errors.Count} failed[/]" : "")}"));
        if (outDir is null)
        {
            CliOutput.WriteJson(coco.Select(d => new { image_id = d.ImageId, category_id = d.CategoryId, bbox = d.Bbox, score = d.Score }), null);
            return;
        }
        CocoResultsFile.Save(Path.Combine(outDir, "results.json"), coco);
        CliOutput.WriteJson(new
        {
            classes = pool.Names,
            seconds = run.Seconds,
            imagesPerSecond = rate,
            images = run.Images.Select(r => new
            {
                file = r.Job.Path,
                imageId = r.Job.ImageId,
                width = r.Width,
                height = r.Height,
                detections = r.Detections.Select(d => new { box = d.Box.ToArray(), label = d.Label, categoryId = d.CategoryId ?? d.Concept + 1, score = d.Score, region = d.Region }),
            }),
            errors = run.Errors.Select(e => new { file = e.Path, error = e.Error }),
        }, Path.Combine(outDir, "detections.json"));
        CliOutput.Human.MarkupLine($"wrote {Markup.Escape(Path.Combine(outDir, "results.json"))}, detections.json, one SVG per image and index.html");
    }
}
