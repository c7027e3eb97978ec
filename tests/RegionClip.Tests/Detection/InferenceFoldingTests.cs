using RegionClip.Modeling.Clip;
using RegionClip.Modeling.Detection;
using RegionClip.Torch.nn;

namespace RegionClip.Tests.Detection;

/// <summary>
/// The inference-only rewrites of the region path equal the modules they replace: the attention pooling
/// with its query folded into the projections, and the ResNet with batch norms folded into the convolutions.
/// </summary>
public sealed class InferenceFoldingTests : TorchTest
{
    [Theory]
    [InlineData(2, 64, 1, 32, 5)]     // RN50's 7×7 grid, narrow
    [InlineData(2, 128, 4, 48, 3)]
    [InlineData(3, 96, 8, 16, 1)]     // RN50x4's 9×9 grid, 8 heads of 12
    public void EqualsAttentionPool2d(int grid, int embed, int heads, int output, int n)
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new Generator((ulong)(1234 + embed));
        using var pool = new AttentionPool2d(grid, embed, heads, output);
        using (torch.no_grad())
            foreach (var p in pool.parameters())
                p.copy_(torch.randn(p.shape, gen) * 0.2);    // non-zero biases, so the dropped key-bias term matters if mishandled
        var x = torch.randn([n, embed, grid, grid], gen) * 2;

        var expected = pool.forward(x);
        Tensor actual;
        using (torch.inference_mode()) actual = FoldedAttentionPool.Forward(pool, heads, x);
        Assert.Equal(expected.shape, actual.shape);
        var err = (actual - expected).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        Assert.True(err <= 1e-5 * Math.Max(1, scale), $"max |Δ| {err} (max |value| {scale})");
    }

    [Fact]
    public void AWrongGridIsAnErrorNamingTheShape()
    {
        using var scope = torch.NewDisposeScope();
        using var pool = new AttentionPool2d(2, 32, 2, 8);
        var e = Assert.Throws<ArgumentException>(() => FoldedAttentionPool.Forward(pool, 2, torch.zeros(1, 32, 3, 3)));
        Assert.Contains("[1, 32, 3, 3]", e.Message);
    }

    [Fact]
    public void FoldedResNetEqualsTheModuleWithFrozenNorms()
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new Generator(77);
        int[] layers = [1, 2, 1, 2];
        using var visual = new ModifiedResNet(layers, 16, 2, 64, 8);
        using (torch.no_grad())
            foreach (var (name, t) in visual.state_dict())
            {
                // Statistics and affine terms far from the identity, so a mis-folded norm shows.
                var r = torch.rand(t.shape, gen);
                if (name.EndsWith("running_var", StringComparison.Ordinal)) t.copy_(r * 2 + 0.1);
                else if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("bias", StringComparison.Ordinal)) t.copy_(r - 0.5);
                else if (name.Contains(".bn") || name.StartsWith("bn", StringComparison.Ordinal) || name.Contains("downsample.1")) t.copy_(r + 0.5);
            }
        visual.eval();
        var x = torch.randn([2, 3, 80, 48], gen);

        using var folded = FoldedResNet.TryCreate(visual);
        Assert.NotNull(folded);
        Tensor res4, res5;
        using (torch.inference_mode())
        {
            res4 = folded!.Res4(x);
            res5 = folded.Layer4(res4);
        }
        var expected4 = visual.Res4(x);
        var expected5 = visual.Layer4.forward(expected4);
        Assert.Equal(expected4.shape, res4.shape);
        Assert.True(RegionReference.RelativeError(expected4, res4) < 1e-5);
        Assert.True(RegionReference.RelativeError(expected5, res5) < 1e-5);
    }

    [Fact]
    public void TrainableNormsAreNotFolded()
    {
        int[] layers = [1, 1, 1, 1];
        using var visual = new ModifiedResNet(layers, 16, 2, 64, 8, c => new BatchNorm2d(c));
        Assert.Null(FoldedResNet.TryCreate(visual));
    }
}
