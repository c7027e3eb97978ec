namespace RegionClip.Torch.optim;

public sealed class AdamWGroup(IEnumerable<Tensor> parameters) : ParamGroup(parameters)
{
    public double beta1 { get; set; } = 0.9;
    public double beta2 { get; set; } = 0.999;
    public double eps { get; set; } = 1e-8;
    public bool amsgrad { get; set; }
}

/// <summary>torch.optim.AdamW: decoupled weight decay, bias-corrected moments, optional AMSGrad.</summary>
public sealed class AdamW : Optimizer
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 1e-2, bool amsgrad = false)
        : this([new AdamWGroup(parameters) { lr = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay, amsgrad = amsgrad }]) { }

    public AdamW(IEnumerable<AdamWGroup> groups) : base(groups)
    {
        foreach (AdamWGroup g in param_groups)
        {
            if (g.lr < 0 || g.eps < 0 || g.beta1 is < 0 or >= 1 || g.beta2 is < 0 or >= 1)
                throw new ArgumentException($"invalid AdamW hyper-parameters: lr {g.lr}, betas ({g.beta1}, {g.beta2}), eps {g.eps}");
            if (g.initial_lr == 0) g.initial_lr = g.lr;
        }
    }

    public override void step()
    {
        using var _ = torch.no_grad();
        foreach (AdamWGroup g in param_groups)
        {
            foreach (var p in g.Params)
            {
                using var scope = torch.NewDisposeScope();
                var grad = p.grad;
                if (grad is null) continue;
                var state = StateOf(p);
                var step = state.TryGetValue("step", out var s) ? Convert.ToDouble(s) + 1 : 1;
                state["step"] = step;
                var expAvg = StateTensor(p, "exp_avg", () => torch.zeros_like(p));
                var expAvgSq = StateTensor(p, "exp_avg_sq", () => torch.zeros_like(p));

                p.mul_(1 - g.lr * g.weight_decay);
                expAvg.mul_(g.beta1).add_(grad, 1 - g.beta1);
                expAvgSq.mul_(g.beta2).addcmul_(grad, grad, 1 - g.beta2);
                var biasCorrection1 = 1 - Math.Pow(g.beta1, step);
                var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(g.beta2, step));
                Tensor second = expAvgSq;
                if (g.amsgrad)
                {
                    var maxSq = StateTensor(p, "max_exp_avg_sq", () => torch.zeros_like(p));
                    maxSq.copy_(maxSq.maximum(expAvgSq));
                    second = maxSq;
                }
                var denom = (second.sqrt() / biasCorrection2Sqrt).add_(g.eps);
                p.addcdiv_(expAvg, denom, -g.lr / biasCorrection1);
            }
        }
    }

    protected override IEnumerable<(string name, object value)> GroupOptions(ParamGroup g)
    {
        var a = (AdamWGroup)g;
        yield return ("betas", new object?[] { a.beta1, a.beta2 });
        yield return ("eps", a.eps);
        yield return ("amsgrad", a.amsgrad);
    }

    protected override void SetGroupOption(ParamGroup g, string name, object value)
    {
        var a = (AdamWGroup)g;
        switch (name)
        {
            case "betas" when value is object?[] b && b.Length == 2:
                a.beta1 = Convert.ToDouble(b[0]);
                a.beta2 = Convert.ToDouble(b[1]);
                break;
            case "eps": a.eps = Convert.ToDouble(value); break;
            case "amsgrad": a.amsgrad = Convert.ToBoolean(value); break;
        }
    }
}
