namespace RegionClip.Training.Engine;

/// <summary>
/// Where a training run stands. Data order, caption choice and mirroring are a pure function of
/// (Seed, Epoch, position in the epoch), so (Seed, Epoch, Cursor) is the data sampler's complete
/// random state; the LR schedule is closed-form in Step.
/// </summary>
/// <param name="TotalSteps">Steps of the whole run; -1 while a --minutes run has not measured its speed yet.</param>
/// <param name="Cursor">Batches of <paramref name="Epoch"/> already done.</param>
/// <param name="Seconds">Training time spent so far, over all sessions.</param>
/// <param name="Images">Training images of the world: a resumed run must see the same data.</param>
public sealed record TrainingState(long Step, long TotalSteps, int Epoch, int Cursor, ulong Seed, double Seconds, int Images);
