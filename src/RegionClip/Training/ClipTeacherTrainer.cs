using System.Diagnostics;
using RegionClip.Common;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Clip;
using RegionClip.Synthetic;
using RegionClip.Text;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using RegionClip.Torch.optim;
using RegionClip.Training.Engine;

namespace RegionClip.Training;

public enum TeacherPhase { LoadingImages, Training, Evaluating }

/// <summary>Progress of <see cref="ClipTeacherTrainer.Run"/>: items of the current phase done out of total (steps while training).</summary>
public sealed record TeacherProgress(TeacherPhase Phase, long Done, long Total, StepRecord? Last = null);

/// <summary>What a teacher run produced.</summary>
public sealed record TeacherResult(
    string TeacherPath, string CheckpointPath, string LogPath, TeacherOptions Options, ClipConfig Config, long Parameters,
    int TrainImages, int BatchSize, long Steps, long ResumedFromStep, double TrainSeconds, double ImagesPerSecond, double FinalLoss,
    ZeroShotResult? ZeroShot, double LoadSeconds, double EvaluationSeconds);

/// <summary>
/// Trains the synthetic world's CLIP teacher from scratch on the train split's image–caption pairs:
/// symmetric image–text contrastive loss (<see cref="ContrastiveLoss"/>), AdamW with decay on
/// weights only, linear warm-up then cosine decay, a random caption and mirroring per image per
/// epoch. Writes OUT/teacher.pth (a plain CLIP state dict), OUT/teacher_checkpoint.pth (resumable,
/// every <see cref="TeacherSolverOptions.CheckpointEvery"/> steps, at the end and when cancelled) and
/// OUT/teacher_log.csv; then classifies the val split's single-object images zero-shot.
/// Resuming continues from the checkpoint with the checkpoint's options and, with the same thread
/// count, ends with bit-identical weights to an uninterrupted run.
/// </summary>
public sealed class ClipTeacherTrainer(string worldDir, string outDir, TeacherOptions options)
{
    public const string TeacherFile = "teacher.pth";
    public const string CheckpointFile = "teacher_checkpoint.pth";
    public const string LogFile = "teacher_log.csv";
    /// <summary>Steps timed before a --minutes run fixes its length.</summary>
    private const int CalibrationSteps = 4;

    public string WorldDir { get; } = worldDir;
    public string OutDir { get; } = outDir;
    public TeacherOptions Options { get; } = options;

    public string TeacherPath => Path.Combine(OutDir, TeacherFile);
    public string CheckpointPath => Path.Combine(OutDir, CheckpointFile);
    public string LogPath => Path.Combine(OutDir, LogFile);

    /// <param name="resume">Continue from OUT/teacher_checkpoint.pth when it exists (a finished run is only re-evaluated).</param>
    /// <param name="evaluate">Run the zero-shot check on the val split when the world has one.</param>
    public TeacherResult Run(bool resume = false, bool evaluate = true, IProgress<TeacherProgress>? progress = null, CancellationToken cancel = default)
    {
        if (!Directory.Exists(WorldDir)) throw new DirectoryNotFoundException($"world folder '{WorldDir}' does not exist (write one with `regionclip synth`)");
        Directory.CreateDirectory(OutDir);
        var tokenizer = ClipTokenizer.Load(Path.Combine(WorldDir, WorldVocabulary.FileName));

        var checkpoint = resume && File.Exists(CheckpointPath) ? TrainingCheckpoint.Read(CheckpointPath) : null;
        var options = checkpoint?.Options ?? Options;
        try
        {
            options.Validate();
            var loadClock = Stopwatch.StartNew();
            using var data = ImageCaptionDataset.Load(WorldDir, "train", tokenizer, options.Model.Resolution, options.Model.ContextLength,
                Report(progress, TeacherPhase.LoadingImages), cancel);
            var loadSeconds = loadClock.Elapsed.TotalSeconds;
            torch.manual_seed(options.Seed);
            using var model = ClipModel.ForTraining(options.ModelConfig(tokenizer.VocabularyCount));
            SetTemperature(model, options.Solver);
            using var optimizer = CreateOptimizer(model, options.Solver);
            var batch = Math.Min(options.Solver.BatchSize, data.Count);
            var stepsPerEpoch = data.Count / batch;
            var state = checkpoint?.State ?? new TrainingState(0, TotalSteps(options.Solver, stepsPerEpoch), 0, 0, options.Seed, 0, data.Count);
            if (state.Images != data.Count)
                throw new InvalidDataException($"'{CheckpointPath}' was trained on {state.Images} images but the world '{WorldDir}' has {data.Count}: resume needs the same world (or start afresh without --resume)");
            checkpoint?.Restore(model, optimizer);
            checkpoint?.Dispose();
            checkpoint = null;
            var resumedFrom = state.Step;
            var parallel = DataParallel.Current;
            var shard = parallel.Shard(batch, "solver.batch_size");
            parallel.Broadcast(model);

            state = TrainLoop(model, optimizer, data, options, state, batch, parallel, shard, progress, cancel);
            if (parallel.IsMain) Torch.Serialization.Checkpoint.SaveStateDict(model.state_dict(), TeacherPath);
            parallel.Barrier();   // the log and the model are whole before any rank reads them
            var log = TrainingLog.Read(LogPath);

            ZeroShotResult? zeroShot = null;
            var evalClock = Stopwatch.StartNew();
            if (evaluate && File.Exists(Path.Combine(WorldDir, "instances_val.json")))
            {
                zeroShot = parallel.OnMain(() =>
                {
                    using var clip = ClipModel.Load(TeacherPath);
                    return ZeroShotEvaluation.Evaluate(clip, tokenizer, WorldDir, "val", Report(progress, TeacherPhase.Evaluating), cancel);
                });
            }
            return new TeacherResult(TeacherPath, CheckpointPath, LogPath, options, model.Config, model.parameters().Sum(p => p.numel()),
                data.Count, batch, state.Step, resumedFrom, state.Seconds,
                RunStatistics.ImagesPerSecond(log.Select(r => r.ImagesPerSecond), batch),
                RunStatistics.TailMean(log.Select(r => r.Loss).ToList(), stepsPerEpoch), zeroShot, loadSeconds, evalClock.Elapsed.TotalSeconds);
        }
        finally
        {
            checkpoint?.Dispose();
        }
    }

    private TrainingState TrainLoop(ClipModel model, Optimizer optimizer, ImageCaptionDataset data, TeacherOptions options, TrainingState state,
        int batch, DataParallel parallel, (int Offset, int Count) shard, IProgress<TeacherProgress>? progress, CancellationToken cancel)
    {
        using var log = parallel.IsMain ? TrainingLog.Open(LogPath, state.Step) : null;
        var trainable = model.parameters().Where(p => p.requires_grad).ToList<Tensor>();
        model.train();
        SampleChoice[]? plan = null;
        int planEpoch = -1;
        var schedule = new LRScheduleHook<StepRecord>(Schedule(optimizer, options.Solver, state.TotalSteps, state.Step));
        var loop = new TrainLoop<(double Loss, double LearningRate), StepRecord>(
            step: s =>
            {
                if (planEpoch != s.Epoch)
                {
                    plan = EpochPlan(options.Seed, s.Epoch, data, options.Input.HorizontalFlip);
                    planEpoch = s.Epoch;
                }
                var lr = optimizer.param_groups[0].lr;
                var loss = TrainStep(model, optimizer, data, plan.AsSpan(s.Cursor * batch + shard.Offset, shard.Count), options.Solver, trainable, parallel);
                return (parallel.Mean(loss)[0], lr);
            },
            record: (before, after, o, seconds) => new StepRecord(after.Step, before.Epoch, o.Loss, o.LearningRate,
                1 / Math.Exp(model.LogitScale.item<float>()), batch / seconds, after.Seconds),
            stepsPerEpoch: data.Count / batch,
            hooks:
            [
                schedule,
                new MinutesHook(options.Solver, schedule, optimizer, parallel),
                new StepLogHook<StepRecord>(r => log?.Append(r)),
                new ProgressHook<StepRecord>((s, r) => progress?.Report(new TeacherProgress(TeacherPhase.Training, s.Step, s.TotalSteps, r))),
                new CheckpointHook<StepRecord>(options.Solver.CheckpointEvery, s =>
                {
                    if (parallel.IsMain) TrainingCheckpoint.Write(CheckpointPath, model, optimizer, s, options);
                }),
            ]) { Parallel = parallel };
        return loop.Run(state, cancel);
    }

    /// <summary>
    /// A --minutes run (no total yet): times a few steps after the first (which is slower: allocations,
    /// caches), then fixes the run's length to fit the minutes and restarts the schedule for it.
    /// </summary>
    private sealed class MinutesHook(TeacherSolverOptions options, LRScheduleHook<StepRecord> schedule, Optimizer optimizer, DataParallel parallel) : TrainHook<StepRecord>
    {
        private readonly System.Diagnostics.Stopwatch _clock = new();
        private int _sessionSteps;
        private double _calibrationStart;

        public override void BeforeTrain(TrainingState state) => _clock.Start();

        public override TrainingState AfterStep(TrainingState state, StepRecord record)
        {
            if (state.TotalSteps >= 0) return state;
            _sessionSteps++;
            if (_sessionSteps == 1) _calibrationStart = _clock.Elapsed.TotalSeconds;
            else if (_sessionSteps == 1 + CalibrationSteps)
            {
                // Every process of a job must stop at the same step: they agree on the mean time per step.
                var perStep = parallel.Mean((_clock.Elapsed.TotalSeconds - _calibrationStart) / CalibrationSteps)[0];
                var left = options.Minutes!.Value * 60 - state.Seconds;
                state = state with { TotalSteps = state.Step + Math.Max(0, (long)(left / perStep)) };
                schedule.Scheduler = Schedule(optimizer, options, state.TotalSteps, state.Step);
            }
            return state;
        }
    }

    /// <summary>The run's length in steps; -1 for a --minutes run (known after a few steps).</summary>
    private static long TotalSteps(TeacherSolverOptions options, int stepsPerEpoch) =>
        options.Minutes is not null ? -1 : options.Epochs is int e ? (long)e * stepsPerEpoch : options.Steps;

    /// <summary>
    /// One optimisation step on a batch (in a data-parallel job, this process's part of it: the contrastive loss then
    /// compares against the whole job's features, as CLIP's distributed training does); returns the loss before the update.
    /// </summary>
    internal static double TrainStep(ClipModel model, Optimizer optimizer, ImageCaptionDataset data, ReadOnlySpan<SampleChoice> items,
        TeacherSolverOptions options, IReadOnlyList<Tensor> trainable, DataParallel? parallel = null)
    {
        parallel ??= DataParallel.Single;
        using var scope = torch.NewDisposeScope();
        var (images, tokens) = data.Batch(items);
        var image = model.encode_image(images);
        var text = model.encode_text(tokens);
        var scale = options.LearnTemperature ? model.LogitScale.exp() : torch.scalar_tensor(1 / options.Temperature);
        var loss = ContrastiveLoss.ImageText(parallel.Gather(image), parallel.Gather(text), scale);
        optimizer.zero_grad();
        loss.backward();
        parallel.AverageGradients(trainable);
        if (options.GradientClip > 0) utils.clip_grad_norm_(trainable, options.GradientClip);
        optimizer.step();
        if (options.LearnTemperature)
            using (torch.no_grad()) model.LogitScale.clamp_(0, Math.Log(100));   // CLIP caps 1/temperature at 100
        return loss.item<double>();
    }

    /// <summary>
    /// The samples of one epoch, a pure function of (seed, epoch): a shuffled order of the images,
    /// a random caption for each, and a coin flip for mirroring. Batches are consecutive slices;
    /// the last partial batch is dropped.
    /// </summary>
    internal static SampleChoice[] EpochPlan(ulong seed, int epoch, ImageCaptionDataset data, bool flip)
    {
        var rng = Prng.ForStream(seed, "teacher/epoch", epoch);
        var order = rng.Permutation(data.Count);
        return Array.ConvertAll(order, i => new SampleChoice(i, rng.NextInt(data.CaptionCount(i)), flip && rng.Chance(0.5)));
    }

    /// <summary>AdamW (β = 0.9, β2, ε = 1e-6 as CLIP) with weight decay on matrices and kernels only.</summary>
    internal static AdamW CreateOptimizer(ClipModel model, TeacherSolverOptions options)
    {
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var decay = trainable.Where(p => p.ndim >= 2).ToList<Tensor>();
        var noDecay = trainable.Where(p => p.ndim < 2).ToList<Tensor>();
        AdamWGroup Group(List<Tensor> ps, double wd) => new(ps) { lr = options.LearningRate, weight_decay = wd, beta2 = options.Beta2, eps = 1e-6 };
        return new AdamW([Group(decay, options.WeightDecay), Group(noDecay, 0)]);
    }

    private static void SetTemperature(ClipModel model, TeacherSolverOptions options)
    {
        using (torch.no_grad()) model.LogitScale.fill_(Math.Log(1 / options.Temperature));
        model.LogitScale.requires_grad = options.LearnTemperature;
    }

    /// <summary>Warm-up then cosine to the end; an unknown length (-1) is a provisional very long schedule.</summary>
    private static WarmupCosineLR Schedule(Optimizer optimizer, TeacherSolverOptions options, long totalSteps, long step)
    {
        var s = new WarmupCosineLR(optimizer, totalSteps < 0 ? long.MaxValue / 4 : Math.Max(1, totalSteps), options.MinLearningRateFactor,
            warmupFactor: 0.01, warmupIters: options.WarmupSteps);
        s.set_iter(step);
        return s;
    }

    private static IProgress<(int Done, int Total)>? Report(IProgress<TeacherProgress>? progress, TeacherPhase phase) =>
        progress is null ? null : new SyncProgress<(int Done, int Total)>(p => progress.Report(new TeacherProgress(phase, p.Done, p.Total)));
}
