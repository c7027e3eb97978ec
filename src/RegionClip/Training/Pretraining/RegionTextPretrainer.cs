using RegionClip.Checkpoints;
using RegionClip.Data.Datasets;
using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Text;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.optim;
using RegionClip.Training.Engine;

namespace RegionClip.Training.Pretraining;

/// <summary>What a pretraining run produced.</summary>
public sealed record PretrainResult(
    string ModelPath, string CheckpointPath, string LogPath, long Steps, long ResumedFromStep, double TrainSeconds, double ImagesPerSecond,
    PretrainStepRecord? Last, int Images, int SkippedImages, long TrainableParameters);

/// <summary>
/// RegionCLIP's region–text pretraining (the paper's method): builds the student, teacher and text tower,
/// the image–caption data, the region source and the concepts from <see cref="PretrainOptions"/>, then
/// trains the student on the training engine (<see cref="TrainLoop{TOut, TRecord}"/>): SGD with momentum,
/// weight decay, linear warm-up and step decay, each parameter tensor's gradient clipped to an L2 norm.
/// Writes OUT/pretrain_log.jsonl, OUT/pretrain_checkpoint.pth (atomic; exact resume) and, at the end,
/// OUT/model_final.pth in the official layout (backbone.*, lang_encoder.*, teacher_backbone.*).
/// </summary>
public sealed class RegionTextPretrainer : IDisposable
{
    public const string LogFile = "pretrain_log.jsonl";
    public const string CheckpointFile = "pretrain_checkpoint.pth";
    public const string FinalFile = "model_final.pth";

    private readonly ImageTextPairs _pairs;
    private readonly PretrainRegions _regions;
    private readonly PretrainBatchBuilder _batches;
    private readonly WarmupMultiStepLR _schedule;
    private readonly (int Offset, int Count) _shard;
    private PairChoice[]? _plan;
    private int _planEpoch = -1;

    private RegionTextPretrainer(PretrainOptions options, RegionTextModel model, SGD optimizer, ImageTextPairs pairs, PretrainRegions regions,
        PretrainBatchBuilder batches, TrainingState state)
    {
        (Options, Model, Optimizer, _pairs, _regions, _batches, State) = (options, model, optimizer, pairs, regions, batches, state);
        ResumedFromStep = state.Step;
        Parallel = DataParallel.Current;
        _shard = Parallel.Shard(options.Solver.BatchSize, "solver.batch_size");
        Parallel.Broadcast(model.Student.Visual);
        _schedule = new WarmupMultiStepLR(optimizer, options.Solver.Steps, options.Solver.Gamma, options.Solver.WarmupFactor, options.Solver.WarmupSteps);
        _schedule.set_iter(state.Step);
    }

    public PretrainOptions Options { get; }
    public RegionTextModel Model { get; }
    public SGD Optimizer { get; }
    /// <summary>Where the run stands (the step done, the epoch and the batch within it).</summary>
    public TrainingState State { get; private set; }
    public long ResumedFromStep { get; }
    /// <summary>
    /// The job's processes when a process group is initialized: each takes its shard of every global batch, the
    /// image–text loss sees the whole batch's features (gathered), the region losses are each process's own (as in the
    /// official DDP run), gradients are averaged; rank 0 writes the files.
    /// </summary>
    public DataParallel Parallel { get; }
    public int Images => _pairs.Count;
    public int StepsPerEpoch => Math.Max(1, _pairs.Count / Options.Solver.BatchSize);
    /// <summary>Images skipped because they could not be decoded, with the reason.</summary>
    public IReadOnlyDictionary<int, string> SkippedImages => _batches.Skipped;

    public string LogPath => Path.Combine(Options.Out, LogFile);
    public string CheckpointPath => Path.Combine(Options.Out, CheckpointFile);
    public string FinalPath => Path.Combine(Options.Out, FinalFile);

    /// <summary>Raised after every step (from <see cref="Step"/> and <see cref="Run"/>).</summary>
    public event Action<PretrainStepRecord>? StepCompleted;

    /// <summary>
    /// Builds everything <paramref name="options"/> names; with <see cref="PretrainOptions.Resume"/> and a checkpoint in
    /// OUT, continues from it with the checkpoint's options. <paramref name="warn"/> hears about skipped images and
    /// ignored checkpoint parts; <paramref name="conceptProgress"/> counts concept names embedded.
    /// </summary>
    public static RegionTextPretrainer Create(PretrainOptions options, Action<string>? warn = null, IProgress<int>? conceptProgress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var resolved = options.Resolved();
        var checkpointPath = Path.Combine(resolved.Out, CheckpointFile);
        using var checkpoint = options.Resume && File.Exists(checkpointPath) ? PretrainCheckpoint.Read(checkpointPath) : null;
        if (checkpoint is not null) resolved = checkpoint.Options with { Resume = true };
        resolved.Validate();
        Directory.CreateDirectory(resolved.Out);

        var disposables = new List<IDisposable>();
        try
        {
            var tokenizer = ClipTokenizer.Load(VocabularyLocator.Resolve(resolved.Model.Vocabulary));
            var pairs = Track(ImageTextPairs.Open(resolved.Data.Captions!, resolved.Data.Images!, warn), disposables);
            if (pairs.Count < resolved.Solver.BatchSize)
                throw new ArgumentException($"solver.batch_size: a batch of {resolved.Solver.BatchSize} needs at least as many images; '{pairs.Source}' has {pairs.Count}");
            var regions = Track(PretrainRegions.Open(resolved.Regions, Enumerable.Range(0, pairs.Count).Select(pairs.Name).ToList()), disposables);
            var model = Track(BuildModel(resolved, tokenizer, conceptProgress, cancel), disposables);
            var optimizer = CreateOptimizer(model, resolved.Solver);
            var state = checkpoint?.State ?? new TrainingState(0, resolved.Solver.MaxSteps, 0, 0, resolved.Seed, 0, pairs.Count);
            if (state.Images != pairs.Count)
                throw new InvalidDataException($"'{checkpointPath}' was trained on {state.Images} image–caption pairs but '{pairs.Source}' has {pairs.Count}: resume needs the same data (or start afresh without --resume)");
            checkpoint?.Restore(model.Student.Visual, optimizer);
            var batches = new PretrainBatchBuilder(pairs, tokenizer, model.Text.Config.ContextLength, resolved, regions, warn);
            return new RegionTextPretrainer(resolved, model, optimizer, pairs, regions, batches, state);
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

    private static RegionTextModel BuildModel(PretrainOptions o, ClipTokenizer tokenizer, IProgress<int>? conceptProgress, CancellationToken cancel)
    {
        var owned = new List<IDisposable>();
        try
        {
            bool textFromTeacher = o.Model.Text == o.Model.Teacher;
            var teacher = Track(RegionClipModel.Load(o.Model.Teacher!, textTower: textFromTeacher), owned);
            var student = Track(RegionClipModel.Load(o.Model.Student!, textTower: false), owned);
            var text = textFromTeacher
                ? (teacher.HasTextTower ? teacher.Clip : throw new InvalidDataException($"model.teacher: '{o.Model.Teacher}' has no text tower for the captions: give model.text"))
                : Track(ClipModel.Load(o.Model.Text!), owned);
            if (text.Config.VocabSize < tokenizer.VocabularyCount)
                throw new InvalidDataException($"model.vocabulary: '{tokenizer.Source}' has {tokenizer.VocabularyCount} ids but the text tower of '{o.Model.Text}' only {text.Config.VocabSize}: they do not belong together");
            var studentConcepts = Track(LoadConcepts(o.Concepts.Student!, "concepts.student", text, tokenizer, conceptProgress, cancel), owned);
            var teacherConcepts = Track(o.Concepts.Teacher is null ? studentConcepts.clone() : LoadConcepts(o.Concepts.Teacher, "concepts.teacher", text, tokenizer, conceptProgress, cancel), owned);
            return new RegionTextModel(student, teacher, text, !textFromTeacher, studentConcepts, teacherConcepts, o.Model.FreezeAt, o.Loss,
                o.Concepts.Threshold, o.Concepts.TeacherTemperature);
        }
        catch
        {
            foreach (var d in Enumerable.Reverse(owned)) d.Dispose();
            throw;
        }
    }

    /// <summary>A [K, D] embedding file (.pth/.npy) as is, or a pool file's names embedded with the 81 templates (cached).</summary>
    private static Tensor LoadConcepts(string path, string field, ClipModel text, ClipTokenizer tokenizer, IProgress<int>? progress, CancellationToken cancel)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{field}: concept file '{path}' does not exist", path);
        bool isEmbedding = Path.GetExtension(path).ToLowerInvariant() is ".pth" or ".pt" or ".npy";
        Tensor embeddings;
        try
        {
            embeddings = isEmbedding
                ? ConceptEmbeddingFile.Load(path)
                : ConceptPool.Create(text, tokenizer, ConceptNames.ReadFile(path), cache: ConceptCache.Default, progress: progress, cancel: cancel).Embeddings;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{field}: {e.Message}", e);
        }
        if (embeddings.size(0) == 0)
        {
            embeddings.Dispose();
            throw new InvalidDataException($"{field}: '{path}' holds no concepts");
        }
        return embeddings;
    }

    /// <summary>
    /// detectron2's optimizer for pretraining: SGD with momentum over the student's trainable tensors, weight
    /// decay on weights and (WEIGHT_DECAY_BIAS) biases; no norm layer is trainable (all are frozen).
    /// </summary>
    internal static SGD CreateOptimizer(RegionTextModel model, PretrainSolverOptions solver)
    {
        var biases = model.Trainable.Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)).Select(p => p.Parameter).ToList();
        var weights = model.Trainable.Where(p => !p.Name.EndsWith(".bias", StringComparison.Ordinal)).Select(p => p.Parameter).ToList();
        SGDGroup Group(List<Tensor> ps, double decay) => new(ps) { lr = solver.BaseLr, momentum = solver.Momentum, weight_decay = decay };
        return new SGD([Group(weights, solver.WeightDecay), Group(biases, solver.WeightDecayBias ?? solver.WeightDecay)]);
    }

    /// <summary>One optimisation step at the current state (no log, no checkpoint): <see cref="Run"/> does those around it.</summary>
    public PretrainStepRecord Step()
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

    /// <summary>Forward, backward, per-tensor clipping and the SGD update on batch (Epoch, Cursor) of <paramref name="state"/>.</summary>
    private StepOutput TrainStep(TrainingState state)
    {
        if (_planEpoch != state.Epoch)
        {
            _plan = PretrainBatchBuilder.EpochPlan(_pairs, Options, state.Epoch);
            _planEpoch = state.Epoch;
        }
        using var scope = torch.NewDisposeScope();
        using var batch = _batches.Build(_plan!, state.Cursor, state.Step, _shard);
        var lr = Optimizer.param_groups[0].lr;
        using var losses = Model.Forward(batch, Parallel.IsDistributed ? Parallel.Gather : null);
        Update(Model, Optimizer, losses, Options.Solver.ClipNorm, Parallel);
        var mean = Parallel.Mean(losses.ImageText.item<double>(), losses.Distillation.item<double>(), losses.Contrastive.item<double>(), losses.Total.item<double>());
        var counts = Parallel.Sum(losses.Kept, losses.Regions, batch.Count);
        return new StepOutput(lr, mean[0], mean[1], mean[2], mean[3], counts[0], counts[1], (int)counts[2]);
    }

    /// <summary>
    /// The update of one step from its forward pass: gradients zeroed, the total loss backpropagated, each
    /// trainable tensor's gradient clipped to <paramref name="clipNorm"/> (0: off) on its own, one optimizer step.
    /// In a data-parallel job the gradients are averaged over the processes before the clipping.
    /// </summary>
    internal static void Update(RegionTextModel model, SGD optimizer, PretrainLosses losses, double clipNorm, DataParallel? parallel = null)
    {
        optimizer.zero_grad();
        losses.Total.backward();
        parallel?.AverageGradients(model.Trainable.Select(p => (Tensor)p.Parameter).ToList());
        if (clipNorm > 0) utils.clip_grad_norm_per_tensor_(model.Trainable.Select(p => p.Parameter), clipNorm);
        optimizer.step();
    }

    private readonly record struct StepOutput(double Lr, double ImageText, double Distillation, double Contrastive, double Total, long Kept, long Regions, int Images);

    private static PretrainStepRecord Record(TrainingState before, TrainingState after, StepOutput o, double seconds) =>
        new(after.Step, o.Lr, o.ImageText, o.Distillation, o.Contrastive, o.Total, o.Kept, o.Regions, o.Images,
            seconds > 0 ? o.Images / seconds : 0, after.Seconds);

    /// <summary>
    /// Trains to <see cref="PretrainSolverOptions.MaxSteps"/>: the step log, a checkpoint every
    /// <see cref="PretrainSolverOptions.CheckpointEvery"/> steps, at the end and on cancellation (then
    /// <see cref="OperationCanceledException"/>), progress after each step; then writes model_final.pth.
    /// </summary>
    public PretrainResult Run(IProgress<(TrainingState State, PretrainStepRecord? Last)>? progress = null, CancellationToken cancel = default)
    {
        using var log = Parallel.IsMain ? JsonLinesLog<PretrainStepRecord>.Open(LogPath, State.Step, r => r.Step, PretrainStepRecord.Json) : null;
        PretrainStepRecord? last = null;
        var loop = new TrainLoop<StepOutput, PretrainStepRecord>(
            step: TrainStep,
            record: Record,
            stepsPerEpoch: StepsPerEpoch,
            hooks:
            [
                new LRScheduleHook<PretrainStepRecord>(_schedule),
                new StepLogHook<PretrainStepRecord>(r => { log?.Append(r); last = r; StepCompleted?.Invoke(r); }),
                new ProgressHook<PretrainStepRecord>((s, r) => progress?.Report((s, r))),
                new CheckpointHook<PretrainStepRecord>(Options.Solver.CheckpointEvery, SaveCheckpoint),
            ]) { Parallel = Parallel };
        State = loop.Run(State, cancel);
        if (Parallel.IsMain) SaveFinal(FinalPath);
        Parallel.Barrier();   // the log and the model are whole before any rank reads them
        var records = JsonLinesLog<PretrainStepRecord>.Read(LogPath, PretrainStepRecord.Json);
        return new PretrainResult(FinalPath, CheckpointPath, LogPath, State.Step, ResumedFromStep, State.Seconds,
            RunStatistics.ImagesPerSecond(records.Select(r => r.ImagesPerSecond), Options.Solver.BatchSize), last ?? records.LastOrDefault(),
            _pairs.Count, _batches.Skipped.Count, Model.Trainable.Sum(p => p.Parameter.numel()));
    }

    /// <summary>Writes the resumable checkpoint of <paramref name="state"/> (atomically).</summary>
    public void SaveCheckpoint(TrainingState state)
    {
        State = state;
        if (Parallel.IsMain) PretrainCheckpoint.Write(CheckpointPath, Model.Student.Visual, Optimizer, state, Options);
    }

    /// <summary>The pretrained model in the official layout, loadable by detect, extract-regions and the official code.</summary>
    public void SaveFinal(string path) => PretrainedModelFile.Save(path, Model);

    public void Dispose()
    {
        Optimizer.Dispose();
        Model.Dispose();
        _regions.Dispose();
        _pairs.Dispose();
    }
}
