using System.Diagnostics;

namespace RegionClip.Training.Engine;

/// <summary>
/// The one training loop of every trainer, in the spirit of detectron2's <c>TrainerBase</c> with hooks:
/// the trainer supplies a step (one optimisation step on the batch at the state's epoch and cursor) and a
/// record of it; the loop advances the state (step, epoch, cursor, time) and hands each record to its
/// hooks, in order: LR schedule, CSV log, progress, checkpoints, periodic evaluation. Ctrl+C (the token)
/// lets every hook react (the checkpoint hook saves) before the loop throws.
/// </summary>
/// <typeparam name="TOut">What a step returns (its losses, the learning rate it used).</typeparam>
/// <typeparam name="TRecord">The logged record of a step.</typeparam>
public sealed class TrainLoop<TOut, TRecord>
{
    private readonly Func<TrainingState, TOut> _step;
    private readonly Func<TrainingState, TrainingState, TOut, double, TRecord> _record;
    private readonly int _stepsPerEpoch;
    private readonly IReadOnlyList<TrainHook<TRecord>> _hooks;

    /// <param name="step">Runs one optimisation step on batch (Epoch, Cursor) of the state it is given.</param>
    /// <param name="record">Makes a step's record from the state before it, the state after it, its output and its seconds.</param>
    /// <param name="stepsPerEpoch">Batches in an epoch: the cursor wraps to the next epoch after this many.</param>
    public TrainLoop(Func<TrainingState, TOut> step, Func<TrainingState, TrainingState, TOut, double, TRecord> record, int stepsPerEpoch,
        IEnumerable<TrainHook<TRecord>> hooks)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        (_step, _record, _stepsPerEpoch, _hooks) = (step, record, stepsPerEpoch, hooks.ToList());
    }

    /// <summary>
    /// The processes of a data-parallel job: Ctrl+C seen by any of them stops all at the same step (their collectives
    /// must stay in step). <see cref="DataParallel.Single"/> alone.
    /// </summary>
    public DataParallel Parallel { get; init; } = DataParallel.Single;

    /// <summary>
    /// Trains from <paramref name="state"/> until its <see cref="TrainingState.TotalSteps"/> (a negative total runs until a hook
    /// sets one). Returns the final state; throws <see cref="OperationCanceledException"/> after the hooks saw a cancellation.
    /// </summary>
    public TrainingState Run(TrainingState state, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        double sessionStart = state.Seconds;
        foreach (var h in _hooks) h.BeforeTrain(state);
        while (state.TotalSteps < 0 || state.Step < state.TotalSteps)
        {
            if (Parallel.Any(cancel.IsCancellationRequested))
            {
                foreach (var h in _hooks) h.OnInterrupt(state);
                throw new OperationCanceledException("training was interrupted", cancel);
            }
            var stepStart = clock.Elapsed.TotalSeconds;
            var output = _step(state);
            var stepSeconds = clock.Elapsed.TotalSeconds - stepStart;
            var next = Advance(state) with { Seconds = sessionStart + clock.Elapsed.TotalSeconds };
            var record = _record(state, next, output, stepSeconds);
            foreach (var h in _hooks) next = h.AfterStep(next, record);
            state = next;
        }
        foreach (var h in _hooks) h.AfterTrain(state);
        return state;
    }

    /// <summary>The state after one more step: the cursor moves on, and wraps into the next epoch.</summary>
    public TrainingState Advance(TrainingState state) => state.Cursor + 1 == _stepsPerEpoch
        ? state with { Step = state.Step + 1, Epoch = state.Epoch + 1, Cursor = 0 }
        : state with { Step = state.Step + 1, Cursor = state.Cursor + 1 };
}
