using RegionClip.Torch.nn;
using RegionClip.Torch.Serialization;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Torch.Tests.Nn;

/// <summary>nn.Module against a PyTorch module with the same layout (tools/fixtures/gen_modules.py).</summary>
public sealed class ModuleTests : TorchTest
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        public readonly Conv2d conv;
        public readonly BatchNorm2d bn;
        public readonly Sequential head;
        public readonly LayerNorm norm;

        public Net()
        {
            conv = register_module("conv", new Conv2d(3, 4, 3, padding: 1));
            bn = register_module("bn", new BatchNorm2d(4));
            head = register_module("head", new Sequential(new Linear(4, 6), new ReLU(), new Linear(6, 2)));
            norm = register_module("norm", new LayerNorm(2));
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var h = bn.forward(conv.forward(x)).relu();
            h = F.adaptive_avg_pool2d(h, 1, 1).flatten(1);
            return norm.forward(head.forward(h)).MoveToOuterScope();
        }
    }

    private readonly OrderedDictionary<string, Tensor> _fx;
    private readonly OrderedDictionary<string, Tensor> _state = new();

    public ModuleTests()
    {
        _fx = Checkpoint.LoadStateDict(Fixtures.Path("torch", "module.pt"));
        foreach (var (k, v) in _fx) if (k.StartsWith("state.", StringComparison.Ordinal)) _state[k["state.".Length..]] = v;
    }

    public override void Dispose()
    {
        foreach (var t in _fx.Values) t.Dispose();
        base.Dispose();
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        using var scope = torch.NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var err = (expected.to(ScalarType.Float64) - actual.detach().to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(err <= tol, $"{what}: max abs error {err:E3} > {tol:E0}");
    }

    [Fact]
    public void StateDictKeysMatchPyTorchInOrder()
    {
        using var net = new Net();
        Assert.Equal(_state.Keys, net.state_dict().Keys);
    }

    [Fact]
    public void StrictLoadThenEvalForwardMatchesPyTorch()
    {
        using var net = new Net();
        net.load_state_dict(_state);
        net.eval();
        using var scope = torch.NewDisposeScope();
        using var _ = torch.inference_mode();
        // float32 network of four layers: 1e-5 absolute.
        AssertClose(_fx["eval_out"], net.forward(_fx["x"]), 1e-5, "eval output");
    }

    [Fact]
    public void TrainForwardUpdatesRunningStatsAndGradientsMatch()
    {
        using var net = new Net();
        net.load_state_dict(_state);
        net.train();
        using var scope = torch.NewDisposeScope();
        var y = net.forward(_fx["x"]);
        AssertClose(_fx["train_out"], y, 1e-5, "train output");
        y.sum().backward();
        AssertClose(_fx["conv_weight_grad"], net.conv.weight.grad!, 1e-5, "conv weight gradient");
        AssertClose(_fx["after_train.bn.running_mean"], net.bn.running_mean, 1e-6, "running mean");
        AssertClose(_fx["after_train.bn.running_var"], net.bn.running_var, 1e-6, "running var");
        Assert.Equal(1L, net.bn.num_batches_tracked.item<long>());
    }

    [Fact]
    public void StrictLoadListsEveryMissingUnexpectedAndMisShapedKey()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        var bad = new OrderedDictionary<string, Tensor>(_state);
        bad.Remove("head.2.bias");
        bad.Remove("norm.weight");
        bad["extra.weight"] = torch.zeros(3);
        bad["conv.weight"] = torch.zeros(4, 3, 5, 5);
        using var before = net.conv.bias!.clone();
        var e = Assert.Throws<StateDictException>(() => net.load_state_dict(bad));
        Assert.Equal(["head.2.bias", "norm.weight"], e.MissingKeys);
        Assert.Equal(["extra.weight"], e.UnexpectedKeys);
        Assert.Single(e.MismatchedKeys);
        Assert.Contains("conv.weight: checkpoint [4, 3, 5, 5] vs model [4, 3, 3, 3]", e.Message);
        Assert.Contains("head.2.bias", e.Message);
        Assert.Contains("extra.weight", e.Message);
        // Strict failure changes nothing.
        Assert.True(before.equal(net.conv.bias!));
    }

    [Fact]
    public void NonStrictLoadCopiesWhatFitsAndReportsTheRest()
    {
        using var net = new Net();
        using var scope = torch.NewDisposeScope();
        var partial = new OrderedDictionary<string, Tensor> { ["conv.bias"] = _state["conv.bias"], ["nope"] = torch.ones(1) };
        var result = net.load_state_dict(partial, strict: false);
        Assert.True(net.conv.bias!.equal(_state["conv.bias"]));
        Assert.Contains("conv.weight", result.MissingKeys);
        Assert.Equal(["nope"], result.UnexpectedKeys);
    }

    [Fact]
    public void FreezingAndDtypeConversionKeepParameterIdentity()
    {
        using var net = new Net();
        var weight = net.conv.weight;
        net.requires_grad_(false);
        Assert.All(net.parameters(), p => Assert.False(p.requires_grad));
        net.to(ScalarType.Float64);
        Assert.Same(weight, net.conv.weight);
        Assert.Equal(ScalarType.Float64, net.conv.weight.dtype);
        // Integer buffers are not cast.
        Assert.Equal(ScalarType.Int64, net.bn.num_batches_tracked.dtype);
        Assert.Equal(13, net.state_dict().Count);
        Assert.Equal(10, net.parameters().Count());
    }

    [Fact]
    public void DisposingAModuleFreesItsTensors()
    {
        var baseline = torch.LiveTensorCount;
        var net = new Net();
        Assert.Equal(13, torch.LiveTensorCount - baseline);
        net.Dispose();
        net.Dispose();
        Assert.Equal(baseline, torch.LiveTensorCount);
    }
}
