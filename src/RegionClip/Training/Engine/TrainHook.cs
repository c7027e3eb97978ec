namespace RegionClip.Training.Engine;

/// <summary>Something the training loop does around the steps (detectron2's <c>HookBase</c>). Every method is optional.</summary>
public abstract class TrainHook<TRecord>
{
    public virtual void BeforeTrain(TrainingState state)
    {
    }

    /// <summary>After each step, with the state after it; returns the state the loop goes on with (a hook may fix the run's length).</summary>
    public virtual TrainingState AfterStep(TrainingState state, TRecord record) => state;

    /// <summary>Ctrl+C: the loop stops after every hook has seen this.</summary>
    public virtual void OnInterrupt(TrainingState state)
    {
    }

    public virtual void AfterTrain(TrainingState state)
    {
    }
}
