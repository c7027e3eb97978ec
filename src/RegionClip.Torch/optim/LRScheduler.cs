namespace RegionClip.Torch.optim;

/// <summary>
/// Iteration-based learning-rate schedules (detectron2 style): lr = initial_lr · factor(iter).
/// Closed-form, so resuming only needs the iteration number.
/// </summary>
public abstract class LRScheduler
{
    private readonly Optimizer _optimizer;

    protected LRScheduler(Optimizer optimizer)
    {
        _optimizer = optimizer;
        Apply();
    }

    /// <summary>Iterations completed; the lr in force is factor(last_iter).</summary>
    public long last_iter { get; private set; }

    public abstract double Factor(long iter);

    public void step()
    {
        last_iter++;
        Apply();
    }

    /// <summary>Jumps to an iteration (for resume).</summary>
    public void set_iter(long iter)
    {
        last_iter = iter;
        Apply();
    }

    public IReadOnlyList<double> get_last_lr() => _optimizer.param_groups.Select(g => g.lr).ToList();

    private void Apply()
    {
        var f = Factor(last_iter);
        foreach (var g in _optimizer.param_groups) g.lr = g.initial_lr * f;
    }

    /// <summary>Linear warm-up from warmupFactor to 1 over warmupIters (detectron2 "linear").</summary>
    protected static double Warmup(long iter, long warmupIters, double warmupFactor)
    {
        if (iter >= warmupIters) return 1.0;
        var alpha = (double)iter / warmupIters;
        return warmupFactor * (1 - alpha) + alpha;
    }
}

/// <summary>Linear warm-up, then ×gamma at each milestone (detectron2 WarmupMultiStepLR).</summary>
public sealed class WarmupMultiStepLR(Optimizer optimizer, long[] milestones, double gamma = 0.1, double warmupFactor = 0.001, long warmupIters = 1000)
    : LRScheduler(Validate(optimizer, milestones))
{
    private readonly long[] _milestones = milestones;

    public override double Factor(long iter)
    {
        int passed = 0;
        foreach (var m in _milestones) if (iter >= m) passed++;
        return Warmup(iter, warmupIters, warmupFactor) * Math.Pow(gamma, passed);
    }

    private static Optimizer Validate(Optimizer o, long[] milestones)
    {
        for (int i = 1; i < milestones.Length; i++)
            if (milestones[i] <= milestones[i - 1]) throw new ArgumentException($"milestones must increase: [{string.Join(", ", milestones)}]");
        return o;
    }
}

/// <summary>Linear warm-up, then cosine decay from 1 to minFactor over maxIters (detectron2 WarmupCosineLR, torch CosineAnnealingLR).</summary>
public sealed class WarmupCosineLR(Optimizer optimizer, long maxIters, double minFactor = 0, double warmupFactor = 0.001, long warmupIters = 0)
    : LRScheduler(optimizer)
{
    public override double Factor(long iter)
    {
        var t = Math.Min(iter, maxIters);
        var cosine = minFactor + (1 - minFactor) * 0.5 * (1 + Math.Cos(Math.PI * t / maxIters));
        return Warmup(iter, warmupIters, warmupFactor) * cosine;
    }
}
