using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's FPN over a ResNet's res2..res5 ("bottom_up"): 1×1 laterals <c>fpn_lateral{2..5}</c>,
/// top-down nearest ×2 upsampling summed into them, 3×3 outputs <c>fpn_output{2..5}</c>, and p6 =
/// max_pool(p5, kernel 1, stride 2) (LastLevelMaxPool). Returns p2..p6 (strides 4..64).
/// </summary>
public sealed class Fpn : Module<Tensor, Tensor[]>
{
    /// <summary>The input is padded to a multiple of the coarsest input stride, so every top-down step doubles exactly.</summary>
    public const int SizeDivisibility = 32;

    private readonly ConvNorm[] _laterals = new ConvNorm[4];
    private readonly ConvNorm[] _outputs = new ConvNorm[4];

    /// <param name="norm">None (convs with bias, the official FPN RPN) or the LSJ variant's norm (no bias).</param>
    public Fpn(ResNetBackbone bottomUp, long outChannels, NormKind norm)
    {
        ArgumentNullException.ThrowIfNull(bottomUp);
        var inChannels = bottomUp.OutChannels;
        if (inChannels.Length != 4) throw new ArgumentException($"the FPN needs res2..res5 from its bottom-up network, got {inChannels.Length} stage(s)");
        bool hasBias = norm == NormKind.None;
        // detectron2 registers lateral/output pairs from res2 up, then the bottom-up network.
        for (int i = 0; i < 4; i++)
        {
            _laterals[i] = register_module($"fpn_lateral{i + 2}", new ConvNorm(inChannels[i], outChannels, 1, norm: norm, hasBias: hasBias));
            _outputs[i] = register_module($"fpn_output{i + 2}", new ConvNorm(outChannels, outChannels, 3, padding: 1, norm: norm, hasBias: hasBias));
        }
        BottomUp = register_module("bottom_up", bottomUp);
        OutChannels = outChannels;
    }

    public ResNetBackbone BottomUp { get; }
    public long OutChannels { get; }

    /// <summary>Strides of p2..p6.</summary>
    public static int[] OutStrides { get; } = [4, 8, 16, 32, 64];

    /// <summary>Images [N, 3, H, W] (H, W multiples of 32) → [p2, p3, p4, p5, p6].</summary>
    public override Tensor[] forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var c = BottomUp.forward(x);                           // res2..res5
        var results = new Tensor[5];
        var prev = _laterals[3].forward(c[3]);
        results[3] = _outputs[3].forward(prev);
        for (int i = 2; i >= 0; i--)
        {
            var topDown = F.interpolate(prev, prev.size(2) * 2, prev.size(3) * 2);  // nearest ×2
            prev = _laterals[i].forward(c[i]).add_(topDown);
            results[i] = _outputs[i].forward(prev);
        }
        results[4] = F.max_pool2d(results[3], 1, 2);
        return results.Select(r => r.MoveToOuterScope()).ToArray();
    }
}
