namespace RegionClip.Torch.optim;

public sealed class SGDGroup(IEnumerable<Tensor> parameters) : ParamGroup(parameters)
{
    public double momentum { get; set; }
    public double dampening { get; set; }
    public bool nesterov { get; set; }
}

/// <summary>torch.optim.SGD (momentum, dampening, Nesterov, L2 weight decay), same update order.</summary>
public sealed class SGD : Optimizer
{
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double weight_decay = 0, double dampening = 0, bool nesterov = false)
        : this([new SGDGroup(parameters) { lr = lr, momentum = momentum, weight_decay = weight_decay, dampening = dampening, nesterov = nesterov }]) { }

    public SGD(IEnumerable<SGDGroup> groups) : base(groups)
    {
        foreach (SGDGroup g in param_groups)
        {
            if (g.lr < 0) throw new ArgumentException($"invalid learning rate {g.lr}");
            if (g.nesterov && (g.momentum <= 0 || g.dampening != 0)) throw new ArgumentException("Nesterov momentum requires momentum > 0 and zero dampening");
            if (g.initial_lr == 0) g.initial_lr = g.lr;
        }
    }

    public override void step()
    {
        using var _ = torch.no_grad();
        foreach (SGDGroup g in param_groups)
        {
            foreach (var p in g.Params)
            {
                using var scope = torch.NewDisposeScope();
                var grad = p.grad;
                if (grad is null) continue;
                var d = g.weight_decay != 0 ? grad.add(p, g.weight_decay) : grad;
                if (g.momentum != 0)
                {
                    var fresh = !StateOf(p).ContainsKey("momentum_buffer");
                    var buf = StateTensor(p, "momentum_buffer", () => d.clone());
                    if (!fresh) buf.mul_(g.momentum).add_(d, 1 - g.dampening);
                    d = g.nesterov ? d.add(buf, g.momentum) : buf;
                }
                p.add_(d, -g.lr);
            }
        }
    }

    protected override IEnumerable<(string name, object value)> GroupOptions(ParamGroup g)
    {
        var s = (SGDGroup)g;
        yield return ("momentum", s.momentum);
        yield return ("dampening", s.dampening);
        yield return ("nesterov", s.nesterov);
    }

    protected override void SetGroupOption(ParamGroup g, string name, object value)
    {
        var s = (SGDGroup)g;
        switch (name)
        {
            case "momentum": s.momentum = Convert.ToDouble(value); break;
            case "dampening": s.dampening = Convert.ToDouble(value); break;
            case "nesterov": s.nesterov = Convert.ToBoolean(value); break;
        }
    }
}
