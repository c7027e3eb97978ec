using RegionClip.Checkpoints;
using RegionClip.Data.Coco;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Text;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Engine;
using RegionClip.Training.Pretraining;

namespace RegionClip.Training.Transfer;

/// <summary>What a transfer-learning run produced.</summary>
public sealed record DetectorTrainResult(
    string ModelPath, string CheckpointPath, string LogPath, long Steps, long ResumedFromStep, double TrainSeconds, double ImagesPerSecond,
    DetectorStepRecord? Last, int Images, int SkippedImages, int TrainClasses, int TestClasses, long TrainableParameters,
    DetectorEvaluationResult? Evaluation);

/// <summary>
/// RegionCLIP's transfer learning (SPEC §7): a detector initialised from a pretrained RegionCLIP (or a plain CLIP) visual
/// encoder, its classifier the frozen text embeddings of the training classes, trained on base categories' boxes
/// (open-vocabulary) or all (fully supervised) with RoIs from an offline RPN or a proposals file; evaluated on
/// held-out images with the embeddings of every category. SGD with momentum, weight decay on every trainable tensor,
/// linear warm-up and step decay, on the training engine. Writes OUT/train_log.jsonl, OUT/train_checkpoint.pth
/// (atomic; exact resume) and OUT/model_final.pth in the official CLIPFastRCNN layout.
/// </summary>
public sealed class DetectorTrainer : IDisposable
{
    public const string LogFile = "train_log.jsonl";
    public const string CheckpointFile = "train_checkpoint.pth";
    public const string FinalFile = "model_final.pth";

    private readonly DetectionTrainingSet _data;
    private readonly DetectorBatchBuilder _batches;
    private readonly ProposalNetwork? _rpn;
    private readonly ProposalsFile? _proposals;
    private readonly TestSet? _test;
    private readonly WarmupMultiStepLR _schedule;

    private sealed record TestSet(CocoDataset Gt, string Images, OpenVocabularySplit Split, IReadOnlyList<long> CategoryIds);

    private Action<string>? _warn;

    private DetectorTrainer(DetectorTrainOptions options, OpenVocabularyDetector detector, IReadOnlyList<(string Name, Tensor Parameter)> trainable,
        SGD optimizer, DetectionTrainingSet data, DetectorBatchBuilder batches, ProposalNetwork? rpn, ProposalsFile? proposals, TestSet? test, TrainingState state)
    {
        (Options, Detector, Trainable, Optimizer, _data, _batches, _rpn, _proposals, _test, State) =
            (options, detector, trainable, optimizer, data, batches, rpn, proposals, test, state);
        ResumedFromStep = state.Step;
        Parallel = DataParallel.Current;
        _shard = Parallel.Shard(options.Solver.BatchSize, "solver.batch_size");
        Parallel.Broadcast(detector.Weights);
        _schedule = new WarmupMultiStepLR(optimizer, options.Solver.Steps, options.Solver.Gamma, options.Solver.WarmupFactor, options.Solver.WarmupSteps);
        _schedule.set_iter(state.Step);
    }

    public DetectorTrainOptions Options { get; }
    public OpenVocabularyDetector Detector { get; }
    public SGD Optimizer { get; }
    /// <summary>The trained tensors by name under the official keys (backbone.layer2… and roi_heads.box_predictor.bbox_pred.*).</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> Trainable { get; }
    public TrainingState State { get; private set; }
    public long ResumedFromStep { get; }
    /// <summary>
    /// The job's processes when a process group is initialized: each takes its shard of every global batch and the
    /// gradients are averaged; rank 0 writes the files and evaluates. Exact against one process when every image yields
    /// the same number of RoIs (the losses are means over the batch's RoIs; all norms are frozen).
    /// </summary>
    public DataParallel Parallel { get; }
    private readonly (int Offset, int Count) _shard;
    public DetectionTrainingSet Data => _data;
    /// <summary>Steps per pass over the data; the epoch and cursor of <see cref="State"/> are bookkeeping, batches follow the step.</summary>
    public int StepsPerEpoch => Math.Max(1, _data.Count / Options.Solver.BatchSize);
    public IReadOnlyDictionary<int, string> SkippedImages => _batches.Skipped;
    public bool HasTestSet => _test is not null;

    public string LogPath => Path.Combine(Options.Out, LogFile);
    public string CheckpointPath => Path.Combine(Options.Out, CheckpointFile);
    public string FinalPath => Path.Combine(Options.Out, FinalFile);

    /// <summary>Raised after every step (from <see cref="Step"/> and <see cref="Run"/>).</summary>
    public event Action<DetectorStepRecord>? StepCompleted;

    /// <summary>
    /// Builds everything <paramref name="options"/> names; with <see cref="DetectorTrainOptions.Resume"/> and a checkpoint in OUT,
    /// continues from it with the checkpoint's options. <paramref name="warn"/> hears about skipped images.
    /// </summary>
    public static DetectorTrainer Create(DetectorTrainOptions options, Action<string>? warn = null, IProgress<int>? conceptProgress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var resolved = options.Resolved();
        var checkpointPath = Path.Combine(resolved.Out, CheckpointFile);
        using var checkpoint = options.Resume && File.Exists(checkpointPath) ? DetectorCheckpoint.Read(checkpointPath) : null;
        if (checkpoint is not null) resolved = checkpoint.Options with { Resume = true };
        resolved.Validate();
        Directory.CreateDirectory(resolved.Out);

        var disposables = new List<IDisposable>();
        try
        {
            var train = CocoDataset.Load(resolved.Data.TrainAnnotations!);
            var split = resolved.Data.Split is null ? null : ResolveSplit(resolved.Data.Split, train);
            var trainIds = resolved.Data.Categories == TrainCategories.Base ? split!.BaseCategoryIds : null;
            var data = DetectionTrainingSet.Load(train, resolved.Data.TrainImages!, trainIds?.ToHashSet(), resolved.Data.MaxBoxesPerImage);
            if (data.Count < resolved.Solver.BatchSize)
                throw new ArgumentException($"solver.batch_size: a batch of {resolved.Solver.BatchSize} needs at least as many images; '{data.Source}' has {data.Count} with a training box");

            TestSet? test = null;
            if (resolved.Data.TestAnnotations is { } testPath && resolved.Evaluation.Enabled)
            {
                var gt = CocoDataset.Load(testPath);
                var testSplit = resolved.Data.Split is null ? new OpenVocabularySplit("all", [.. gt.Categories.Select(c => c.Id)], []) : ResolveSplit(resolved.Data.Split, gt);
                test = new TestSet(gt, resolved.Data.TestImages!, testSplit, [.. gt.Categories.Select(c => c.Id).Order()]);
            }
            var testCategories = test is null ? train.Categories.OrderBy(c => c.Id).ToList() : test.Gt.Categories.OrderBy(c => c.Id).ToList();

            var detector = Track(BuildDetector(resolved, data.TrainCategories, testCategories, conceptProgress, cancel), disposables);
            var trainable = Freeze(detector, resolved.Model.FreezeAt);
            var optimizer = Track(CreateOptimizer(trainable, resolved.Solver), disposables);
            var rpn = resolved.Regions.Source == TrainRegionSource.Rpn ? Track(ProposalNetwork.Load(resolved.Regions.Rpn!), disposables) : null;
            var proposals = resolved.Regions.Source == TrainRegionSource.File ? ProposalsFile.Read(resolved.Regions.Proposals!) : null;
            var state = checkpoint?.State ?? new TrainingState(0, resolved.Solver.MaxSteps, 0, 0, resolved.Seed, 0, data.Count);
            if (state.Images != data.Count)
                throw new InvalidDataException($"'{checkpointPath}' was trained on {state.Images} images but '{data.Source}' has {data.Count}: resume needs the same data (or start afresh without --resume)");
            checkpoint?.Restore(detector.Weights, optimizer);
            var batches = new DetectorBatchBuilder(data, resolved, rpn, proposals?.Assign([.. data.Entries.Select(e => e.FileName)]), warn);
            return new DetectorTrainer(resolved, detector, trainable, optimizer, data, batches, rpn, proposals, test, state) { _warn = warn };
        }
        catch
        {
            foreach (var d in Enumerable.Reverse(disposables)) d.Dispose();
            throw;
        }
    }

    private static T Track<T>(T item, List<IDisposable> list) where T : IDisposable
    {
        list.Add(item);
        return item;
    }

    private static OpenVocabularySplit ResolveSplit(string split, CocoDataset gt) => split switch
    {
        "coco-ovd" => OpenVocabularySplit.CocoOvd(gt),
        "lvis-rare" => OpenVocabularySplit.LvisRare(gt),
        _ => OpenVocabularySplit.Load(split, gt),
    };

    private static OpenVocabularyDetector BuildDetector(DetectorTrainOptions o, IReadOnlyList<CocoCategory> trainCategories, IReadOnlyList<CocoCategory> testCategories,
        IProgress<int>? progress, CancellationToken cancel)
    {
        var model = RegionClipModel.Load(o.Model.Init!);
        Tensor? trainConcepts = null, testConcepts = null;
        try
        {
            ClipTokenizer? tokenizer = null;
            Tensor Concepts(string? file, IReadOnlyList<CocoCategory> categories, string field)
            {
                if (file is not null)
                {
                    var loaded = ConceptEmbeddingFile.Load(file);
                    if (loaded.ndim == 2 && loaded.size(0) == categories.Count) return loaded;
                    var shape = string.Join(", ", loaded.shape);
                    loaded.Dispose();
                    throw new InvalidDataException($"{field}: '{file}' holds [{shape}] but there are {categories.Count} classes ({string.Join(", ", categories.Take(5).Select(c => c.Name))}{(categories.Count > 5 ? ", …" : "")}): one row per class in ascending category id");
                }
                tokenizer ??= ClipTokenizer.Load(VocabularyLocator.Resolve(o.Model.Vocabulary));
                using var pool = ConceptPool.Create(model.Clip, tokenizer, [.. categories.Select(c => c.Name)], cache: ConceptCache.Default, progress: progress, cancel: cancel);
                return pool.Embeddings.clone();
            }
            trainConcepts = Concepts(o.Data.TrainConcepts, trainCategories, "data.train_concepts");
            testConcepts = Concepts(o.Data.TestConcepts, testCategories, "data.test_concepts");
            using var generator = new Generator(o.Seed);
            var detector = OpenVocabularyDetector.Create(model, trainConcepts, testConcepts, generator);
            if (o.Model.BoxRegressor is { } path) LoadBoxRegressor(detector, path);
            return detector;
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            trainConcepts?.Dispose();
            testConcepts?.Dispose();
        }
    }

    /// <summary>Initial box-regressor weights from a {"weight": [4, D], "bias": [4]} file.</summary>
    private static void LoadBoxRegressor(OpenVocabularyDetector detector, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model.box_regressor: '{path}' does not exist", path);
        var loaded = torch.load(path);
        try
        {
            if (loaded is not OrderedDictionary<string, object?> dict || !dict.TryGetValue("weight", out var w) || w is not Tensor weight
                || !dict.TryGetValue("bias", out var b) || b is not Tensor bias)
                throw new InvalidDataException($"model.box_regressor: '{path}' must hold {{\"weight\": [4, D], \"bias\": [4]}}");
            detector.Predictor.LoadBoxRegressor(weight, bias);
        }
        finally
        {
            Checkpoint.DisposeTree(loaded);
        }
    }

    /// <summary>FREEZE_AT on the visual tower (all norms are frozen anyway); bbox_pred trains; the class embeddings never do.</summary>
    private static List<(string Name, Tensor Parameter)> Freeze(OpenVocabularyDetector detector, int freezeAt)
    {
        detector.Weights.requires_grad_(true);
        foreach (var (name, p) in detector.Model.Visual.named_parameters())
            if (RegionTextModel.FrozenBy(name, freezeAt)) p.requires_grad = false;
        foreach (var p in new Module[] { detector.Predictor.ClsScore, detector.Predictor.ClsBgScore }.Concat(detector.Predictor.TestClsScore is { } t ? [t] : []))
            p.requires_grad_(false);
        return [.. detector.Weights.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, (Tensor)p.parameter))];
    }

    /// <summary>SGD with momentum; weight decay on every trainable tensor (the official transfer configs set no exceptions).</summary>
    internal static SGD CreateOptimizer(IReadOnlyList<(string Name, Tensor Parameter)> trainable, DetectorSolverOptions solver) =>
        new([new SGDGroup([.. trainable.Select(p => p.Parameter)]) { lr = solver.BaseLr, momentum = solver.Momentum, weight_decay = solver.WeightDecay }]);

    /// <summary>One optimisation step at the current state (no log, no checkpoint): <see cref="Run"/> does those around it.</summary>
    public DetectorStepRecord Step()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = State;
        var output = TrainStep(before);
        var next = Advance(before) with { Seconds = before.Seconds + clock.Elapsed.TotalSeconds };
        var record = Record(before, next, output, clock.Elapsed.TotalSeconds);
        State = next;
        _schedule.step();
        StepCompleted?.Invoke(record);
        return record;
    }

    private TrainingState Advance(TrainingState s) => s.Cursor + 1 >= StepsPerEpoch
        ? s with { Step = s.Step + 1, Epoch = s.Epoch + 1, Cursor = 0 }
        : s with { Step = s.Step + 1, Cursor = s.Cursor + 1 };

    private readonly record struct StepOutput(double Lr, double Classification, double BoxRegression, double Total, long Rois, long Foreground, int Images);

    /// <summary>Forward, losses, backward, optional per-tensor clipping and the SGD update on batch (Epoch, Cursor) of <paramref name="state"/>.</summary>
    private StepOutput TrainStep(TrainingState state)
    {
        using var scope = torch.NewDisposeScope();
        using var batch = _batches.Build(state.Step, _shard);
        var lr = Optimizer.param_groups[0].lr;
        var (cls, box) = Losses(batch);
        var total = cls + box * Options.Loss.BoxRegressionWeight;
        Optimizer.zero_grad();
        total.backward();
        Parallel.AverageGradients([.. Trainable.Select(p => p.Parameter)]);
        if (Options.Solver.ClipNorm > 0) utils.clip_grad_norm_per_tensor_(Trainable.Select(p => p.Parameter), Options.Solver.ClipNorm);
        Optimizer.step();
        var mean = Parallel.Mean(cls.item<double>(), box.item<double>(), total.item<double>());
        var counts = Parallel.Sum(batch.Rois.size(0), batch.Foreground, batch.Count);
        return new StepOutput(lr, mean[0], mean[1], mean[2], counts[0], counts[1], (int)counts[2]);
    }

    /// <summary>loss_cls and loss_box_reg of one batch (with gradient).</summary>
    public (Tensor Classification, Tensor BoxRegression) Losses(DetectorBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = torch.NewDisposeScope();
        var (logits, deltas) = Detector.Forward(batch.Images, batch.Rois, Options.Model.FreezeAt, Options.Loss.Temperature);
        var l = Options.Loss;
        var cls = FastRcnnLosses.Classification(logits, batch.Classes, l.Classification, l.Classification == ClassificationLoss.Focal ? l.FocalGamma : 0, l.BackgroundWeight);
        var box = FastRcnnLosses.BoxRegression(deltas, batch.Boxes, batch.MatchedBoxes, batch.Classes, Detector.Predictor.NumTrainClasses);
        return (cls.MoveToOuterScope(), box.MoveToOuterScope());
    }

    /// <summary>The batch the next step would train on (for inspection and tests).</summary>
    public DetectorBatch NextBatch() => _batches.Build(State.Step);

    private static DetectorStepRecord Record(TrainingState before, TrainingState after, StepOutput o, double seconds) =>
        new(after.Step, o.Lr, o.Classification, o.BoxRegression, o.Total, o.Rois, o.Foreground, o.Images, seconds > 0 ? o.Images / seconds : 0, after.Seconds);

    /// <summary>
    /// Trains to <see cref="DetectorSolverOptions.MaxSteps"/>: the step log, a checkpoint every
    /// <see cref="DetectorSolverOptions.CheckpointEvery"/> steps, at the end and on cancellation (then
    /// <see cref="OperationCanceledException"/>), progress after each step; then writes model_final.pth and evaluates.
    /// </summary>
    public DetectorTrainResult Run(IProgress<(TrainingState State, DetectorStepRecord? Last)>? progress = null,
        IProgress<(int Done, int Total)>? evaluationProgress = null, Action<long, DetectorEvaluationResult>? evaluated = null, CancellationToken cancel = default)
    {
        using var log = Parallel.IsMain ? JsonLinesLog<DetectorStepRecord>.Open(LogPath, State.Step, r => r.Step, DetectorStepRecord.Json) : null;
        DetectorStepRecord? last = null;
        var loop = new TrainLoop<StepOutput, DetectorStepRecord>(
            step: TrainStep,
            record: Record,
            stepsPerEpoch: StepsPerEpoch,
            hooks:
            [
                new LRScheduleHook<DetectorStepRecord>(_schedule),
                new StepLogHook<DetectorStepRecord>(r => { log?.Append(r); last = r; StepCompleted?.Invoke(r); }),
                new ProgressHook<DetectorStepRecord>((s, r) => progress?.Report((s, r))),
                new CheckpointHook<DetectorStepRecord>(Options.Solver.CheckpointEvery, SaveCheckpoint),
                new PeriodicEvaluationHook<DetectorStepRecord>(_test is null ? 0 : Options.Evaluation.Every,   // every rank: they share the images
                    (s, _) => evaluated?.Invoke(s.Step, Evaluate(evaluationProgress, cancel))),
            ]) { Parallel = Parallel };
        State = loop.Run(State, cancel);
        if (Parallel.IsMain) SaveFinal(FinalPath);
        Parallel.Barrier();   // the log and the model are whole before any rank reads them
        var result = _test is null ? null : Evaluate(evaluationProgress, cancel);
        if (result is not null) evaluated?.Invoke(State.Step, result);
        var records = JsonLinesLog<DetectorStepRecord>.Read(LogPath, DetectorStepRecord.Json);
        return new DetectorTrainResult(FinalPath, CheckpointPath, LogPath, State.Step, ResumedFromStep, State.Seconds,
            RunStatistics.ImagesPerSecond(records.Select(r => r.ImagesPerSecond), Options.Solver.BatchSize), last ?? records.LastOrDefault(),
            _data.Count, _batches.Skipped.Count, _data.TrainCategories.Count, (int)(Detector.Predictor.TestClsScore?.weight.size(0) ?? 0),
            Trainable.Sum(p => p.Parameter.numel()), result);
    }

    /// <summary>
    /// Evaluates the current weights on the test annotations (open-set embeddings, box deltas, the preset's post-processing).
    /// In a data-parallel job every rank must call it: the ranks split the test images.
    /// </summary>
    public DetectorEvaluationResult Evaluate(IProgress<(int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        var test = _test ?? throw new InvalidOperationException("no test annotations: set data.test_annotations (or a world with instances_val.json)");
        var e = Options.Evaluation;
        var options = new DetectionOptions
        {
            ScoreThreshold = e.ScoreThreshold, NmsThreshold = e.NmsThreshold, MaxDetections = e.MaxDetections, SoftNms = e.SoftNms,
            Fusion = e.RpnFusion ? ScoreFusion.Reference : ScoreFusion.None,
        };
        var fileProposals = _proposals?.Assign([.. test.Gt.Images.Select(i => i.FileName ?? i.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return DetectorEvaluation.Run(Detector, test.Gt, test.Images, test.Split, test.CategoryIds, new DetectionResize(Options.Input.TestMinSize, Options.Input.MaxSize),
            _rpn, new ProposalOptions(Options.Regions.RpnNms, null, Options.Regions.RpnTopK), fileProposals, options, Options.Loss.Temperature, e.MaxImages, progress, cancel, _warn, Parallel);
    }

    /// <summary>Writes the resumable checkpoint of <paramref name="state"/> (atomically).</summary>
    public void SaveCheckpoint(TrainingState state)
    {
        State = state;
        if (Parallel.IsMain) DetectorCheckpoint.Write(CheckpointPath, Detector, Optimizer, state, Options);
    }

    /// <summary>The trained detector in the official layout (backbone.*, roi_heads.box_predictor.*; lang_encoder.* when the init had one).</summary>
    public void SaveFinal(string path) => Detector.Save(path);

    public void Dispose()
    {
        Optimizer.Dispose();
        Detector.Dispose();
        _rpn?.Dispose();
    }
}
