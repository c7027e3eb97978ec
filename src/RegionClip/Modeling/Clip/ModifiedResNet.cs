using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// CLIP's visual ResNet: a 3-conv stem with average pooling, four stages of anti-aliased
/// bottlenecks, attention pooling. Stem..res4 (stride 16) is RegionCLIP's backbone; layer4 and
/// attnpool are borrowed by its ROI head.
/// </summary>
public sealed class ModifiedResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly Module<Tensor, Tensor> _bn1, _bn2, _bn3;
    private readonly Sequential _layer1, _layer2, _layer3;
    private readonly Sequential? _layer4;
    private readonly AttentionPool2d? _attnPool;

    /// <summary>RegionCLIP's norm: batch norm with frozen statistics and affine terms.</summary>
    public static Module<Tensor, Tensor> FrozenNorm(long channels) => new FrozenBatchNorm2d(channels);

    /// <param name="norm">Makes each batch norm for a channel count: frozen (RegionCLIP, the default) or
    /// trainable <see cref="BatchNorm2d"/> for training from scratch. Both use OpenAI's keys.</param>
    public ModifiedResNet(int[] layers, int outputDim, int heads, int inputResolution, int width, Func<long, Module<Tensor, Tensor>>? norm = null)
        : this(layers, width, norm, res4Only: false, outputDim, heads, inputResolution)
    {
    }

    /// <summary>
    /// Stem..layer3 only (the stride-16 "res4" trunk), under the same keys: the official "clipbackbone"
    /// RPN's backbone. <paramref name="layers"/> holds layer1..layer3's depths (a fourth is ignored).
    /// </summary>
    public static ModifiedResNet Res4Trunk(int[] layers, int width, Func<long, Module<Tensor, Tensor>>? norm = null) =>
        new(layers, width, norm, res4Only: true, 0, 0, 0);

    private ModifiedResNet(int[] layers, int width, Func<long, Module<Tensor, Tensor>>? norm, bool res4Only, int outputDim, int heads, int inputResolution)
    {
        if (layers.Length != 4 && !(res4Only && layers.Length == 3))
            throw new ArgumentException($"expected {(res4Only ? "3 or 4" : "4")} stage depths, got {layers.Length}");
        norm ??= FrozenNorm;
        _conv1 = register_module("conv1", new Conv2d(3, width / 2, 3, stride: 2, padding: 1, hasBias: false));
        _bn1 = register_module("bn1", norm(width / 2));
        _conv2 = register_module("conv2", new Conv2d(width / 2, width / 2, 3, padding: 1, hasBias: false));
        _bn2 = register_module("bn2", norm(width / 2));
        _conv3 = register_module("conv3", new Conv2d(width / 2, width, 3, padding: 1, hasBias: false));
        _bn3 = register_module("bn3", norm(width));
        long inplanes = width;
        _layer1 = register_module("layer1", Stage(ref inplanes, width, layers[0], 1, norm));
        _layer2 = register_module("layer2", Stage(ref inplanes, width * 2, layers[1], 2, norm));
        _layer3 = register_module("layer3", Stage(ref inplanes, width * 4, layers[2], 2, norm));
        if (res4Only) return;
        _layer4 = register_module("layer4", Stage(ref inplanes, width * 8, layers[3], 2, norm));
        _attnPool = register_module("attnpool", new AttentionPool2d(inputResolution / 32, width * 32, heads, outputDim));
    }

    /// <summary>res5 for RegionCLIP's ROI head.</summary>
    public Module<Tensor, Tensor> Layer4 => _layer4 ?? throw new InvalidOperationException("this is a res4 trunk: it has no layer4");
    public AttentionPool2d AttnPool => _attnPool ?? throw new InvalidOperationException("this is a res4 trunk: it has no attention pool");

    /// <summary>The stem's convolutions with their norms: conv1/bn1 (stride 2), conv2/bn2, conv3/bn3.</summary>
    internal IReadOnlyList<(Conv2d Conv, Module<Tensor, Tensor> Norm)> StemParts => [(_conv1, _bn1), (_conv2, _bn2), (_conv3, _bn3)];

    /// <summary>The bottlenecks of layer1..layer4 (layer1..layer3 for a res4 trunk).</summary>
    internal IReadOnlyList<IReadOnlyList<Bottleneck>> Stages =>
        new[] { _layer1, _layer2, _layer3, _layer4 }.OfType<Sequential>()
            .Select(s => (IReadOnlyList<Bottleneck>)s.named_children().Select(c => (Bottleneck)c.module).ToList()).ToList();

    public Tensor Stem(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = _bn1.forward(_conv1.forward(x)).relu_();
        h = _bn2.forward(_conv2.forward(h)).relu_();
        h = _bn3.forward(_conv3.forward(h)).relu_();
        return F.avg_pool2d(h, 2).MoveToOuterScope();
    }

    /// <summary>Stem → layer3: the stride-16 "res4" feature map.</summary>
    public Tensor Res4(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return _layer3.forward(_layer2.forward(_layer1.forward(Stem(x)))).MoveToOuterScope();
    }

    /// <summary>The start of <see cref="Res4"/>: the stem, then the first <paramref name="stages"/> stages (0 to 3).</summary>
    internal Tensor Res4Before(Tensor x, int stages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, 3);
        using var scope = torch.NewDisposeScope();
        var h = Stem(x);
        foreach (var layer in new[] { _layer1, _layer2, _layer3 }.Take(stages)) h = layer.forward(h);
        return h.MoveToOuterScope();
    }

    /// <summary>
    /// The rest of <see cref="Res4"/> after the stem and the first <paramref name="stages"/> stages (0 to 3):
    /// layer(stages + 1) … layer3 on their output <paramref name="x"/>.
    /// </summary>
    internal Tensor Res4After(Tensor x, int stages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, 3);
        using var scope = torch.NewDisposeScope();
        var h = x.alias();
        foreach (var layer in new[] { _layer1, _layer2, _layer3 }.Skip(stages)) h = layer.forward(h);
        return h.MoveToOuterScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return AttnPool.forward(Layer4.forward(Res4(x))).MoveToOuterScope();
    }

    /// <summary>One stage of bottlenecks (stride on the first), children "0", "1", … as in PyTorch.</summary>
    private static Sequential Stage(ref long inplanes, long planes, int blocks, long stride, Func<long, Module<Tensor, Tensor>> norm)
    {
        var stage = new Sequential();
        for (int i = 0; i < blocks; i++)
        {
            stage.append(new Bottleneck(inplanes, planes, i == 0 ? stride : 1, norm));
            inplanes = planes * Bottleneck.Expansion;
        }
        return stage;
    }
}
