using RegionClip.Modeling.Layers;
using RegionClip.Modeling.Proposals;
using RegionClip.Structures;
using RegionClip.Torch.optim;
using RegionClip.Training.Rpn;

namespace RegionClip.Tests.Training.Rpn;

/// <summary>
/// One training step of a tiny C4 RPN with BatchNorm (train mode, two images of different sizes)
/// against the PyTorch reference: labels, losses, every gradient, and the weights and BN statistics
/// after an SGD step. Single-threaded, like the generator.
/// </summary>
public sealed class TrainingStepTests : TorchTest
{
    private readonly RpnTrainingReference _ref;
    private readonly int _threads = torch.get_num_threads();

    public TrainingStepTests()
    {
        _ref = new RpnTrainingReference();
        torch.set_num_threads(1);
    }

    public override void Dispose()
    {
        torch.set_num_threads(_threads);
        _ref.Dispose();
        base.Dispose();
    }

    /// <summary>The generator's network: depths 1,1,1, stem 8, res2 8, bottleneck 4, anchors 16/32/64.</summary>
    internal static RpnConfig TinyConfig => RpnConfig.ForTraining(RpnKind.C4, new ResNetConfig([1, 1, 1], 8, 8, 4, NormKind.BatchNorm), anchorSizes: [[16, 32, 64]]);

    private ProposalNetwork TinyNetwork()
    {
        var network = new ProposalNetwork(TinyConfig);
        network.load_state_dict(_ref.Group("step_model"));
        network.train();
        return network;
    }

    private (RpnLossValues losses, RpnTargets matched) Forward(ProposalNetwork network, Tensor? labels)
    {
        var images = new[] { _ref["step_image0"], _ref["step_image1"] };
        var (batch, _) = RpnInput.Batch(images, network.SizeDivisibility, network.PixelFormat);
        var (logits, deltas, anchors) = network.Rpn.DenseOutputs(network.Backbone.forward(batch));
        var matched = RpnTargets.Compute(anchors, [_ref["step_gt0"], _ref["step_gt1"]], new AnchorMatcher(), sampler: null);
        using var sampled = new RpnTargets(labels ?? _ref["step_labels"].clone(), matched.MatchedBoxes.clone());
        return (RpnLosses.Compute(logits, deltas, anchors, sampled, 256), matched);
    }

    [Fact]
    public void TheConfigRecordsItsNonDefaultAnchors()
    {
        var c = TinyConfig;
        Assert.Equal(9, c.NumAnchors);
        Assert.Equal([32L], c.HeadConvDims);
        Assert.NotNull(c.CellAnchors);
        Assert.Null(RpnConfig.ForTraining(RpnKind.C4, c.ResNet).CellAnchors);   // the official sizes need no record
    }

    [Fact]
    public void LabelsLossesAndGradientsEqualTheReference()
    {
        using var scope = torch.NewDisposeScope();
        using var network = TinyNetwork();
        var (losses, matched) = Forward(network, null);
        using (losses)
        using (matched)
        {
            Assert.True(matched.Labels.equal(_ref["step_labels_before_sampling"]), "labels before sampling differ");
            Assert.Equal(_ref["step_objectness"].item<float>(), losses.Objectness.item<float>(), 1e-6f);
            Assert.Equal(_ref["step_box"].item<float>(), losses.Box.item<float>(), 1e-6f);
            losses.Total.backward();
        }
        foreach (var (name, p) in network.named_parameters())
        {
            using var grad = p.grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            var expected = _ref[$"step_grad.{name}"];
            Assert.True(grad!.allclose(expected, rtol: 1e-4, atol: 1e-6), $"gradient of {name} differs: max |Δ| {(grad - expected).abs().max().item<float>():E2}");
        }
    }

    [Fact]
    public void OneSgdStepGivesTheReferenceWeightsAndStatisticsAndLowersTheLoss()
    {
        using var scope = torch.NewDisposeScope();
        using var network = TinyNetwork();
        var options = new RpnSolverOptions { Optimizer = RpnOptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 1e-4 };
        using var optimizer = RpnTrainer.CreateOptimizer(network.parameters().ToList<Tensor>(), options);
        double before;
        var (losses, matched) = Forward(network, null);
        using (losses)
        using (matched)
        {
            before = losses.Total.item<double>();
            optimizer.zero_grad();
            losses.Total.backward();
            optimizer.step();
        }
        foreach (var (key, t) in network.state_dict())
        {
            var expected = _ref[$"step_model_after.{key}"];
            Assert.True(t.dtype == ScalarType.Int64 ? t.equal(expected) : t.allclose(expected, rtol: 1e-4, atol: 1e-6), $"{key} after the step differs");
        }
        double after;
        using (torch.no_grad())
        {
            var (again, m2) = Forward(network, null);
            using (again) using (m2) after = again.Total.item<double>();
        }
        Assert.True(after < before, $"the loss did not go down: {before} -> {after}");
        Assert.Equal(_ref["step_loss_after"].item<float>(), (float)after, 1e-5f);
    }

    [Fact]
    public void ASavedTrainedNetworkLoadsAndProposesIdentically()
    {
        using var dir = Paths.TempDir();
        using var scope = torch.NewDisposeScope();
        using var network = TinyNetwork();
        using var optimizer = new SGD(network.parameters().ToList<Tensor>(), 0.05, momentum: 0.9);
        for (int i = 0; i < 2; i++)
        {
            var (losses, matched) = Forward(network, null);
            using (losses)
            using (matched)
            {
                optimizer.zero_grad();
                losses.Total.backward();
                optimizer.step();
            }
        }
        network.eval();
        var path = dir.File("rpn.pth");
        network.Save(path);
        using var loaded = ProposalNetwork.Load(path);
        Assert.Equal(RpnKind.C4, loaded.Kind);
        Assert.Equal(9, loaded.Rpn.Anchors.NumAnchors);
        using (var a = loaded.Rpn.Anchors.CellAnchors(0))
        using (var b = network.Rpn.Anchors.CellAnchors(0))
            Assert.True(a.equal(b), "recorded anchors differ");
        var images = new[] { _ref["step_image0"], _ref["step_image1"] };
        var options = new ProposalOptions(0.7, null, 50);
        var expected = network.Propose(images, options);
        var actual = loaded.Propose(images, options);
        for (int i = 0; i < 2; i++)
        {
            using var e = expected[i];
            using var a = actual[i];
            Assert.True(e.Count > 0);
            Assert.True(a.Boxes.equal(e.Boxes) && a.Objectness.equal(e.Objectness), $"image {i}: proposals differ after save and load");
        }
    }
}
