using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's ResNet ("MSRA" R50 as the offline RPNs use it): <c>stem</c> (7×7/2 conv + norm + ReLU,
/// 3×3/2 max pool) and stages <c>res2</c>… of bottleneck blocks, stride on the first block of res3+.
/// Returns the outputs of the requested stages.
/// </summary>
public sealed class ResNetBackbone : Module<Tensor, Tensor[]>
{
    private readonly ConvNorm _stem;
    private readonly Sequential[] _stages;
    private readonly int[] _outStages;

    /// <param name="config">Widths, depths and norm; one stage per depth, from res2.</param>
    /// <param name="outStages">Stage numbers (2..5) whose outputs <see cref="forward"/> returns, in order.</param>
    public ResNetBackbone(ResNetConfig config, params int[] outStages)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (outStages.Length == 0 || outStages.Any(s => s < 2 || s > config.Depths.Length + 1))
            throw new ArgumentException($"output stages [{string.Join(", ", outStages)}] must lie in res2..res{config.Depths.Length + 1}");
        Config = config;
        _outStages = outStages;
        var stem = register_module("stem", new BasicStem(config.StemChannels, config.Norm));
        _stem = stem.Conv1;
        _stages = new Sequential[config.Depths.Length];
        long inChannels = config.StemChannels;
        for (int i = 0; i < config.Depths.Length; i++)
        {
            var stage = new Sequential();
            for (int b = 0; b < config.Depths[i]; b++)
            {
                long stride = b == 0 && i > 0 ? 2 : 1;
                stage.append(new BottleneckBlock(inChannels, config.StageChannels(i + 2), config.BottleneckChannels << i, stride, config.Norm));
                inChannels = config.StageChannels(i + 2);
            }
            _stages[i] = register_module($"res{i + 2}", stage);
        }
    }

    public ResNetConfig Config { get; }

    /// <summary>Output channels of each requested stage.</summary>
    public long[] OutChannels => _outStages.Select(s => Config.StageChannels(s)).ToArray();

    /// <summary>Stride of each requested stage (res2 = 4, doubling per stage).</summary>
    public int[] OutStrides => _outStages.Select(s => 1 << s).ToArray();

    /// <summary>Images [N, 3, H, W] → the requested stages' feature maps.</summary>
    public override Tensor[] forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = F.max_pool2d(_stem.forward(x), 3, 2, 1);
        var outputs = new List<Tensor>();
        int last = _outStages.Max();
        for (int s = 2; s <= last; s++)
        {
            var next = _stages[s - 2].forward(h);
            if (!outputs.Contains(h)) h.Dispose();   // free maps no one asked for as soon as they are used
            h = next;
            if (_outStages.Contains(s)) outputs.Add(h);
        }
        return outputs.Select(o => o.MoveToOuterScope()).ToArray();
    }

    /// <summary>Keys "stem.conv1.{weight,norm.*}"; the max pool has no parameters.</summary>
    private sealed class BasicStem : Module
    {
        public BasicStem(long channels, NormKind norm) =>
            Conv1 = register_module("conv1", new ConvNorm(3, channels, 7, stride: 2, padding: 3, norm: norm, relu: true));

        public ConvNorm Conv1 { get; }
    }
}

/// <summary>
/// detectron2's BottleneckBlock with STRIDE_IN_1X1: conv1 1×1 (carries the stride) → conv2 3×3 →
/// conv3 1×1, plus the input (or a 1×1 projection "shortcut" when channels change), then ReLU.
/// </summary>
public sealed class BottleneckBlock : Module<Tensor, Tensor>
{
    private readonly ConvNorm? _shortcut;
    private readonly ConvNorm _conv1, _conv2, _conv3;

    public BottleneckBlock(long inChannels, long outChannels, long bottleneckChannels, long stride, NormKind norm)
    {
        // Registration order = detectron2's, so state_dict() lists keys as PyTorch does.
        if (inChannels != outChannels)
            _shortcut = register_module("shortcut", new ConvNorm(inChannels, outChannels, 1, stride: stride, norm: norm));
        _conv1 = register_module("conv1", new ConvNorm(inChannels, bottleneckChannels, 1, stride: stride, norm: norm, relu: true));
        _conv2 = register_module("conv2", new ConvNorm(bottleneckChannels, bottleneckChannels, 3, padding: 1, norm: norm, relu: true));
        _conv3 = register_module("conv3", new ConvNorm(bottleneckChannels, outChannels, 1, norm: norm));
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = _conv3.forward(_conv2.forward(_conv1.forward(x)));
        h.add_(_shortcut is null ? x : _shortcut.forward(x));
        return h.relu_().MoveToOuterScope();
    }
}
