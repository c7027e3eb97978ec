using RegionClip.Torch.nn;
using RegionClip.Torch.optim;
using RegionClip.Torch.Serialization;

namespace RegionClip.Torch.Tests.Optim;

/// <summary>Optimizer trajectories against torch.optim on a fixed float64 quadratic problem (tools/fixtures/gen_optim.py).</summary>
public sealed class OptimizerParityTests : TorchTest
{
    private const int Steps = 6;
    // float64 end to end and the same libtorch kernels: only summation-order noise remains.
    private const double Tolerance = 1e-10;

    private readonly OrderedDictionary<string, Tensor> _fx;

    // Loaded in the constructor body (after TorchTest records its baseline) and freed in Dispose.
    public OptimizerParityTests() => _fx = Checkpoint.LoadStateDict(Fixtures.Path("torch", "optim.pt"));

    public override void Dispose()
    {
        foreach (var t in _fx.Values) t.Dispose();
        base.Dispose();
    }

    private Tensor Loss(Tensor w, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var r = _fx["x"].matmul(w.t()) + b - _fx["y"];
        return r.pow(2).sum().MoveToOuterScope();
    }

    private void Run(string name, Func<Tensor[], Optimizer> make, string clip = "")
    {
        using var scope = torch.NewDisposeScope();
        var w = new Parameter(_fx["w0"].clone());
        var b = new Parameter(_fx["b0"].clone());
        scope.Include(w);
        scope.Include(b);
        using var opt = make([w, b]);
        for (int i = 0; i < Steps; i++)
        {
            using var step = torch.NewDisposeScope();
            opt.zero_grad();
            Loss(w, b).backward();
            if (clip == "global") utils.clip_grad_norm_([w, b], 1.5);
            if (clip == "per_tensor") utils.clip_grad_norm_per_tensor_([w, b], 1.5);
            opt.step();
            AssertClose(_fx[name + ".w"][i], w, $"{name} step {i} weight");
            AssertClose(_fx[name + ".b"][i], b, $"{name} step {i} bias");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        using var scope = torch.NewDisposeScope();
        var err = (expected - actual.detach()).abs().max().item<double>();
        Assert.True(err <= Tolerance, $"{what}: max abs error {err:E3} > {Tolerance:E0}");
    }

    [Fact] public void Sgd() => Run("sgd", p => new SGD(p, lr: 0.01));
    [Fact] public void SgdMomentumWeightDecay() => Run("sgd_momentum_wd", p => new SGD(p, lr: 0.01, momentum: 0.9, weight_decay: 1e-2));
    [Fact] public void SgdNesterov() => Run("sgd_nesterov", p => new SGD(p, lr: 0.01, momentum: 0.9, nesterov: true));
    [Fact] public void SgdDampening() => Run("sgd_dampening", p => new SGD(p, lr: 0.01, momentum: 0.5, dampening: 0.3));
    [Fact] public void AdamW() => Run("adamw", p => new AdamW(p, lr: 0.05, weight_decay: 0.1));
    [Fact] public void AdamWAmsgrad() => Run("adamw_amsgrad", p => new AdamW(p, lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0, amsgrad: true));
    [Fact] public void GlobalGradientClipping() => Run("sgd_clip_global", p => new SGD(p, lr: 0.05, momentum: 0.9), "global");
    [Fact] public void PerTensorGradientClipping() => Run("sgd_clip_per_tensor", p => new SGD(p, lr: 0.05, momentum: 0.9), "per_tensor");

    [Fact]
    public void StateDictRoundTripResumesExactly()
    {
        // Three steps, save optimizer state through torch.save, continue in a fresh optimizer:
        // the trajectory must match the uninterrupted reference bit for bit (within tolerance).
        using var scope = torch.NewDisposeScope();
        using var dir = Fixtures.TempDir();
        var w = scope.Include(new Parameter(_fx["w0"].clone()));
        var b = scope.Include(new Parameter(_fx["b0"].clone()));
        var path = dir.File("opt.pt");
        using (var opt = new AdamW([w, b], lr: 0.05, weight_decay: 0.1))
        {
            for (int i = 0; i < 3; i++)
            {
                using var s = torch.NewDisposeScope();
                opt.zero_grad();
                Loss(w, b).backward();
                opt.step();
            }
            var state = opt.state_dict();
            torch.save(state, path);
            Checkpoint.DisposeTree(state);
        }
        using var resumed = new AdamW([w, b], lr: 0.05, weight_decay: 0.1);
        var loaded = (OrderedDictionary<string, object?>)torch.load(path)!;
        resumed.load_state_dict(loaded);
        Checkpoint.DisposeTree(loaded);
        for (int i = 3; i < Steps; i++)
        {
            using var s = torch.NewDisposeScope();
            resumed.zero_grad();
            Loss(w, b).backward();
            resumed.step();
            AssertClose(_fx["adamw.w"][i], w, $"resumed adamw step {i}");
        }
    }

    [Fact]
    public void WarmupMultiStepMatchesTorchChainedSchedulers()
    {
        using var scope = torch.NewDisposeScope();
        var p = scope.Include(new Parameter(torch.zeros(1)));
        using var opt = new SGD([p], lr: 1.0);
        var sched = new WarmupMultiStepLR(opt, [30, 45], gamma: 0.1, warmupFactor: 0.001, warmupIters: 10);
        var expected = _fx["lr.warmup_multistep"].data<double>();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - opt.param_groups[0].lr) <= 1e-12, $"iter {i}: torch {expected[i]} vs {opt.param_groups[0].lr}");
            sched.step();
        }
    }

    [Fact]
    public void CosineMatchesTorchCosineAnnealing()
    {
        using var scope = torch.NewDisposeScope();
        var p = scope.Include(new Parameter(torch.zeros(1)));
        using var opt = new SGD([p], lr: 1.0);
        var sched = new WarmupCosineLR(opt, maxIters: 40, minFactor: 0.05);
        var expected = _fx["lr.cosine"].data<double>();
        for (int i = 0; i < expected.Length; i++)
        {
            // torch updates the cosine recursively; agreement to 1e-9 shows the same schedule.
            Assert.True(Math.Abs(expected[i] - opt.param_groups[0].lr) <= 1e-9, $"iter {i}: torch {expected[i]} vs {opt.param_groups[0].lr}");
            sched.step();
        }
    }

    [Fact]
    public void RejectsEmptyParameterList() =>
        Assert.Throws<ArgumentException>(() => new SGD(Array.Empty<Tensor>(), lr: 0.1));
}
