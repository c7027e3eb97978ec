namespace RegionClip.Torch.nn;

/// <summary>torch.nn.utils: gradient clipping.</summary>
public static class utils
{
    /// <summary>
    /// Scales all gradients together so their joint p-norm is at most maxNorm (torch's
    /// clip_grad_norm_). Returns the norm before clipping.
    /// </summary>
    public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        Tensor total;
        if (double.IsPositiveInfinity(normType))
            total = torch.stack(grads.Select(g => g.abs().max()).ToList()).max();
        else
            total = torch.stack(grads.Select(g => g.norm(normType)).ToList()).norm(normType);
        var coef = (maxNorm / (total + 1e-6)).clamp(max: 1.0);
        foreach (var g in grads) g.mul_(coef);
        return total.item<double>();
    }

    /// <summary>Clips each parameter's gradient separately to maxNorm (detectron2's per-parameter "norm" clipping).</summary>
    public static void clip_grad_norm_per_tensor_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        foreach (var p in parameters) clip_grad_norm_([p], maxNorm, normType);
    }

    /// <summary>Clamps every gradient element to [-clipValue, clipValue].</summary>
    public static void clip_grad_value_(IEnumerable<Tensor> parameters, double clipValue)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var p in parameters) p.grad?.clamp_(-clipValue, clipValue);
    }
}
