using System.Diagnostics;
using RegionClip.Common;
using RegionClip.Data;
using RegionClip.Data.Datasets;
using RegionClip.Evaluation;
using RegionClip.Modeling.Detection;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;
using RegionClip.Training.Engine;

namespace RegionClip.Training.Rpn;

public enum RpnPhase { Loading, Training, Evaluating }

/// <summary>Progress of <see cref="RpnTrainer.Run"/>: items of the current phase done out of total (steps while training, images while evaluating).</summary>
public sealed record RpnProgress(RpnPhase Phase, long Done, long Total, RpnStepRecord? Last = null);

/// <summary>What an RPN training run produced.</summary>
/// <param name="ModelPath">OUT/rpn.pth: the trained network ({"model": detectron2 keys}; <see cref="ProposalNetwork.Load"/>, torch.load).</param>
/// <param name="Recall">Recall on the held-out images after training (null without them).</param>
public sealed record RpnTrainingResult(
    string ModelPath, string CheckpointPath, string LogPath, string JsonLogPath, RpnTrainingOptions Options, RpnConfig Config, long Parameters,
    int TrainImages, int TrainBoxes, int BatchSize, long Steps, long ResumedFromStep, double TrainSeconds, double ImagesPerSecond, double FinalLoss,
    ProposalRecall? Recall, double LoadSeconds, double EvaluationSeconds);

/// <summary>
/// Trains a class-agnostic RPN as detectron2 does (<see cref="AnchorMatcher"/>, <see cref="AnchorSampler"/>,
/// <see cref="RpnLosses"/>) on a COCO-format dataset's boxes (optionally base categories only): random
/// horizontal flips, detectron2's resize, SGD or AdamW with warm-up then cosine or step decay, gradient
/// clipping. Writes OUT/rpn.pth, OUT/rpn_checkpoint.pth (every <see cref="RpnSolverOptions.CheckpointEvery"/>
/// steps, at the end and on cancellation), OUT/rpn_log.csv and OUT/rpn_log.json (losses per step,
/// recall per evaluation). With <see cref="RpnTrainingOptions.Resume"/> an existing checkpoint is
/// continued with its own options; at the same thread count the result is bit-identical to an
/// uninterrupted run (data order, flips and anchor sampling are pure functions of the seed and the step).
/// </summary>
public static class RpnTrainer
{
    public const string ModelFile = "rpn.pth";
    public const string CheckpointFile = "rpn_checkpoint.pth";
    public const string LogFile = "rpn_log.csv";
    public const string JsonLogFile = "rpn_log.json";

    public static RpnTrainingResult Run(RpnTrainingOptions options, IProgress<RpnProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Resolved();
        var paths = new RunPaths(options.Out);
        // A resumed run takes everything but the output folder from its checkpoint.
        using var checkpoint = options.Resume && File.Exists(paths.Checkpoint) ? RpnTrainingCheckpoint.Read(paths.Checkpoint) : null;
        if (checkpoint is not null) options = checkpoint.Options with { Out = options.Out, Resume = true };
        options.Validate();
        if (options.Data.World is not null && !Directory.Exists(options.Data.World))
            throw new DirectoryNotFoundException($"world folder '{options.Data.World}' does not exist (write one with `regionclip synth`)");
        if (!File.Exists(options.Data.TrainAnnotations))
            throw new FileNotFoundException($"training annotations '{options.Data.TrainAnnotations}' do not exist", options.Data.TrainAnnotations);
        Directory.CreateDirectory(options.Out);

        var loadClock = Stopwatch.StartNew();
        progress?.Report(new RpnProgress(RpnPhase.Loading, 0, 1));
        var data = options.Data;
        var split = data.CategorySplit is null ? null : CategorySplitFile.Load(data.CategorySplit);
        var train = RpnDataset.Load(data.TrainAnnotations!, data.TrainImages!, split, data.BaseOnly, dropImagesWithoutTargets: true, data.ExcludeNovelImages);
        var val = data.ValAnnotations is null ? null : RpnDataset.Load(data.ValAnnotations, data.ValImages!, split, baseOnly: false, dropImagesWithoutTargets: false);
        var loadSeconds = loadClock.Elapsed.TotalSeconds;

        torch.manual_seed(options.Seed);
        using var network = new ProposalNetwork(options.Model.NetworkConfig(), "(training)");
        if (options.Model.ClipWeights is not null) LoadClipBackbone(network, options.Model.ClipWeights);
        if (options.Model.FreezeBackbone) network.Backbone.requires_grad_(false);
        var trainable = network.parameters().Where(p => p.requires_grad).ToList<Tensor>();
        using var optimizer = CreateOptimizer(trainable, options.Solver);
        int batch = Math.Min(options.Solver.BatchSize, train.Count);
        var state = checkpoint?.State ?? new TrainingState(0, options.Solver.Steps, 0, 0, options.Seed, 0, train.Count);
        if (state.Images != train.Count)
            throw new InvalidDataException($"'{paths.Checkpoint}' was trained on {state.Images} images but '{data.TrainAnnotations}' now gives {train.Count}: resume needs the same data (or start afresh without resume)");
        checkpoint?.Restore(network, optimizer);
        checkpoint?.Dispose();   // its tensors are copied; free them before training (disposing twice is harmless)
        var parallel = DataParallel.Current;
        var shard = parallel.Shard(batch, "solver.batch_size");
        parallel.Broadcast(network);
        var resumedFrom = state.Step;
        var evaluations = RpnTrainingLog.ReadEvaluations(paths.JsonLog).Where(e => resumedFrom > 0 && e.Step <= resumedFrom).ToList();

        var run = new TrainingSession(network, optimizer, trainable, options, train, val, batch, parallel, shard, paths, evaluations, progress, cancel);
        state = run.Train(state);

        network.eval();
        if (parallel.IsMain) network.Save(paths.Model);
        parallel.Barrier();   // the log and the model are whole before any rank reads them
        var steps = RpnTrainingLog.Read(paths.Log);
        ProposalRecall? recall = null;
        double evalSeconds = 0;
        if (val is not null)
        {
            parallel.OnMain(() =>
            {
                var last = evaluations.LastOrDefault();
                if (last is null || last.Step != state.Step) evaluations.Add(last = run.Evaluate(state.Step));
                recall = last.Recall;
                evalSeconds = last.Seconds;
                return 0;
            });
        }
        if (parallel.IsMain) RpnTrainingLog.WriteJson(paths.JsonLog, steps, evaluations);
        int stepsPerEpoch = Math.Max(1, train.Count / batch);
        return new RpnTrainingResult(paths.Model, paths.Checkpoint, paths.Log, paths.JsonLog, options, network.Config,
            network.parameters().Sum(p => p.numel()), train.Count, train.TargetBoxes, batch, state.Step, resumedFrom, state.Seconds,
            RunStatistics.ImagesPerSecond(steps.Select(r => r.ImagesPerSecond), batch),
            RunStatistics.TailMean(steps.Select(r => r.Loss).ToList(), Math.Min(stepsPerEpoch, 50)), recall, loadSeconds, evalSeconds);
    }

    private sealed record RunPaths(string Out)
    {
        public string Model => Path.Combine(Out, ModelFile);
        public string Checkpoint => Path.Combine(Out, CheckpointFile);
        public string Log => Path.Combine(Out, LogFile);
        public string JsonLog => Path.Combine(Out, JsonLogFile);
    }

    /// <summary>One training session: the loop, checkpoints and evaluations.</summary>
    private sealed class TrainingSession(ProposalNetwork network, Optimizer optimizer, IReadOnlyList<Tensor> trainable, RpnTrainingOptions options,
        RpnDataset train, RpnDataset? val, int batch, DataParallel parallel, (int Offset, int Count) shard, RunPaths paths, List<RpnEvaluationRecord> evaluations,
        IProgress<RpnProgress>? progress, CancellationToken cancel)
    {
        private readonly AnchorMatcher _matcher = new(options.Model.IouThresholds[0], options.Model.IouThresholds[1]);
        private readonly AnchorSampler _sampler = new(options.Model.BatchSizePerImage, options.Model.PositiveFraction);

        public TrainingState Train(TrainingState state)
        {
            int stepsPerEpoch = train.Count / batch;
            using var log = parallel.IsMain ? RpnTrainingLog.Open(paths.Log, state.Step) : null;
            using var loader = new RpnBatchLoader(train, options.Input.MaxSize);
            SetTrainingMode();
            void Report(TrainingState s, RpnStepRecord? r) => progress?.Report(new RpnProgress(RpnPhase.Training, s.Step, s.TotalSteps, r));
            TrainLoop<(double Obj, double Box, double Total, double LearningRate), RpnStepRecord>? loop = null;
            loop = new(
                step: s =>
                {
                    var choices = Choices(s.Epoch, s.Cursor);
                    var after = loop!.Advance(s);
                    var next = after.Step < s.TotalSteps ? Choices(after.Epoch, after.Cursor) : null;   // read ahead while this step runs
                    var samples = loader.Take(choices, next);
                    var lr = optimizer.param_groups[0].lr;
                    try
                    {
                        var (obj, box, total) = Step(samples, s.Step);
                        var mean = parallel.Mean(obj, box, total);   // the job's losses, as one process with the whole batch has them
                        return (mean[0], mean[1], mean[2], lr);
                    }
                    finally
                    {
                        foreach (var sample in samples) sample.Dispose();
                    }
                },
                record: (before, after, o, seconds) => new RpnStepRecord(after.Step, before.Epoch, o.Obj, o.Box, o.Total, o.LearningRate, batch / seconds, after.Seconds),
                stepsPerEpoch,
                hooks:
                [
                    new LRScheduleHook<RpnStepRecord>(Schedule(optimizer, options.Solver, state.Step)),
                    new StepLogHook<RpnStepRecord>(r => log?.Append(r)),
                    new ProgressHook<RpnStepRecord>(Report),
                    new CheckpointHook<RpnStepRecord>(options.Solver.CheckpointEvery, s =>
                    {
                        if (parallel.IsMain) RpnTrainingCheckpoint.Write(paths.Checkpoint, network, optimizer, s, options);
                    }),
                    new PeriodicEvaluationHook<RpnStepRecord>(val is null || !parallel.IsMain ? 0 : options.Evaluation.Every, (s, r) =>
                    {
                        evaluations.Add(Evaluate(s.Step));
                        RpnTrainingLog.WriteJson(paths.JsonLog, RpnTrainingLog.Read(paths.Log), evaluations);
                        SetTrainingMode();
                        Report(s, r);
                    }),
                ]) { Parallel = parallel };
            return loop.Run(state, cancel);
        }

        /// <summary>One optimisation step on this rank's part of a batch; returns its losses before the update.</summary>
        private (double obj, double box, double total) Step(RpnSample[] samples, long step)
        {
            using var scope = torch.NewDisposeScope();
            var (input, _) = RpnInput.Batch(samples.Select(s => s.Image).ToList(), network.SizeDivisibility, network.PixelFormat);
            var features = network.Backbone.forward(input);
            var (logits, deltas, anchors) = network.Rpn.DenseOutputs(features);
            using var targets = RpnTargets.Compute(anchors, samples.Select(s => s.Boxes).ToList(), _matcher, _sampler,
                i => Prng.ForStream(options.Seed, "rpn/anchors", step * batch + shard.Offset + i));
            using var losses = RpnLosses.Compute(logits, deltas, anchors, targets, options.Model.BatchSizePerImage, options.Model.ObjectnessLossWeight, options.Model.BoxLossWeight);
            optimizer.zero_grad();
            losses.Total.backward();
            parallel.AverageGradients(trainable);
            if (options.Solver.GradientClip > 0) Torch.nn.utils.clip_grad_norm_(trainable, options.Solver.GradientClip);
            optimizer.step();
            return (losses.Objectness.item<double>(), losses.Box.item<double>(), losses.Total.item<double>());
        }

        /// <summary>Batch <paramref name="cursor"/> of <paramref name="epoch"/>'s plan.</summary>
        private RpnSampleChoice[] Choices(int epoch, int cursor)
        {
            if (_planEpoch != epoch)
            {
                _plan = EpochPlan(options.Seed, epoch, train.Count, options.Input.HorizontalFlip, options.Input.TrainMinSizes ?? [options.Input.MinSize]);
                _planEpoch = epoch;
            }
            return _plan!.AsSpan(cursor * batch + shard.Offset, shard.Count).ToArray();
        }


        private RpnSampleChoice[]? _plan;
        private int _planEpoch = -1;

        public RpnEvaluationRecord Evaluate(long step)
        {
            var clock = Stopwatch.StartNew();
            var e = options.Evaluation;
            var report = progress is null ? null : new SyncProgress<(int Done, int Total)>(p => progress.Report(new RpnProgress(RpnPhase.Evaluating, p.Done, p.Total)));
            var recall = RpnEvaluation.Evaluate(network, val!, new DetectionResize(options.Input.MinSize, options.Input.MaxSize),
                new ProposalOptions(e.Nms, e.PreNmsTopK, e.TopK.Max()), e.TopK, e.Iou, e.Images, report, cancel);
            return new RpnEvaluationRecord(step, recall, clock.Elapsed.TotalSeconds);
        }

        /// <summary>Train mode, except a frozen backbone, whose BN statistics must not move.</summary>
        private void SetTrainingMode()
        {
            network.train();
            if (options.Model.FreezeBackbone) network.Backbone.eval();
        }
    }

    /// <summary>
    /// The samples of one epoch, a pure function of (seed, epoch): a shuffled order of the images, a
    /// coin flip for mirroring each and its short side (detectron2's "choice" of MIN_SIZE_TRAIN).
    /// Batches are consecutive slices; the last partial batch is dropped.
    /// </summary>
    internal static RpnSampleChoice[] EpochPlan(ulong seed, int epoch, int images, bool flip, IReadOnlyList<int> minSizes)
    {
        var rng = Prng.ForStream(seed, "rpn/epoch", epoch);
        var order = rng.Permutation(images);
        return Array.ConvertAll(order, i => new RpnSampleChoice(i, flip && rng.Chance(0.5), minSizes.Count == 1 ? minSizes[0] : minSizes[rng.NextInt(minSizes.Count)]));
    }

    /// <summary>SGD (momentum) or AdamW; weight decay on convolution weights only (not on norms or biases).</summary>
    internal static Optimizer CreateOptimizer(IReadOnlyList<Tensor> trainable, RpnSolverOptions options)
    {
        if (trainable.Count == 0) throw new ArgumentException("nothing to train: every parameter is frozen");
        var decay = trainable.Where(p => p.ndim >= 2).ToList();
        var noDecay = trainable.Where(p => p.ndim < 2).ToList();
        var groups = new[] { (decay, options.WeightDecay), (noDecay, 0.0) }.Where(g => g.Item1.Count > 0).ToList();
        return options.Optimizer == RpnOptimizerKind.Sgd
            ? new SGD(groups.Select(g => new SGDGroup(g.Item1) { lr = options.LearningRate, momentum = options.Momentum, weight_decay = g.Item2 }))
            : new AdamW(groups.Select(g => new AdamWGroup(g.Item1) { lr = options.LearningRate, beta1 = options.Momentum, beta2 = options.Beta2, weight_decay = g.Item2 }));
    }

    private static LRScheduler Schedule(Optimizer optimizer, RpnSolverOptions options, long step)
    {
        LRScheduler s = options.Schedule == RpnSchedule.Step
            ? new WarmupMultiStepLR(optimizer, options.Milestones, options.Gamma, options.WarmupFactor, options.WarmupSteps)
            : new WarmupCosineLR(optimizer, options.Steps, 0, options.WarmupFactor, options.WarmupSteps);
        s.set_iter(step);
        return s;
    }

    /// <summary>Starts a CLIP-backbone RPN from a CLIP checkpoint's visual tower (stem..layer3).</summary>
    private static void LoadClipBackbone(ProposalNetwork network, string path)
    {
        var state = Checkpoint.LoadStateDict(path, halfToFloat: true);
        try
        {
            if (!state.Keys.Any(k => k.StartsWith("visual.layer1.", StringComparison.Ordinal)))
                throw new InvalidDataException($"clip_weights '{path}' is not a CLIP ResNet checkpoint (no visual.layer1.* keys)");
            ((ClipBackbone)network.Backbone).LoadFromClip(state, path);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }
}
