using RegionClip.Torch.optim;

namespace RegionClip.Training.Engine;

/// <summary>Steps the learning-rate schedule after every optimisation step; <see cref="Scheduler"/> may be replaced mid-run.</summary>
public sealed class LRScheduleHook<TRecord>(LRScheduler scheduler) : TrainHook<TRecord>
{
    public LRScheduler Scheduler { get; set; } = scheduler;

    public override TrainingState AfterStep(TrainingState state, TRecord record)
    {
        Scheduler.step();
        return state;
    }
}

/// <summary>Appends each step's record to a log (a CSV file that resume trims to the checkpoint's step).</summary>
public sealed class StepLogHook<TRecord>(Action<TRecord> append) : TrainHook<TRecord>
{
    public override TrainingState AfterStep(TrainingState state, TRecord record)
    {
        append(record);
        return state;
    }
}

/// <summary>Reports progress: once when training starts (no record yet), then after every step.</summary>
public sealed class ProgressHook<TRecord>(Action<TrainingState, TRecord?> report) : TrainHook<TRecord>
{
    public override void BeforeTrain(TrainingState state) => report(state, default);

    public override TrainingState AfterStep(TrainingState state, TRecord record)
    {
        report(state, record);
        return state;
    }
}

/// <summary>
/// Saves a resumable checkpoint every <paramref name="every"/> steps, after the last step and when the run
/// is interrupted; the save itself is the trainer's (atomic: a kill never leaves half a file).
/// </summary>
public sealed class CheckpointHook<TRecord>(long every, Action<TrainingState> save) : TrainHook<TRecord>
{
    public override TrainingState AfterStep(TrainingState state, TRecord record)
    {
        if (state.Step % every == 0 || state.Step == state.TotalSteps) save(state);
        return state;
    }

    public override void OnInterrupt(TrainingState state) => save(state);
}

/// <summary>Runs <paramref name="evaluate"/> every <paramref name="every"/> steps before the last (the trainer evaluates the final model itself).</summary>
public sealed class PeriodicEvaluationHook<TRecord>(long every, Action<TrainingState, TRecord> evaluate) : TrainHook<TRecord>
{
    public override TrainingState AfterStep(TrainingState state, TRecord record)
    {
        if (every > 0 && state.Step % every == 0 && state.Step < state.TotalSteps) evaluate(state, record);
        return state;
    }
}
