using RegionClip.Modeling.Clip;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Training;

/// <summary>
/// CLIP's visual ResNet (<see cref="ModifiedResNet"/>'s architecture and key names) with trainable
/// batch norm, for training from scratch. RegionCLIP's towers use frozen BN, which cannot learn;
/// OpenAI trained CLIP with ordinary BN, so this is the tower OpenAI's own checkpoints come from:
/// its state dict (BN weight, bias, running_mean, running_var, num_batches_tracked) loads into
/// <see cref="ModifiedResNet"/> with the statistics frozen.
/// </summary>
public sealed class TrainableResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly Sequential _layer1, _layer2, _layer3, _layer4;

    public TrainableResNet(int[] layers, int outputDim, int heads, int inputResolution, int width)
    {
        if (layers.Length != 4) throw new ArgumentException($"expected 4 stage depths, got {layers.Length}");
        _conv1 = register_module("conv1", new Conv2d(3, width / 2, 3, stride: 2, padding: 1, hasBias: false));
        _bn1 = register_module("bn1", new BatchNorm2d(width / 2));
        _conv2 = register_module("conv2", new Conv2d(width / 2, width / 2, 3, padding: 1, hasBias: false));
        _bn2 = register_module("bn2", new BatchNorm2d(width / 2));
        _conv3 = register_module("conv3", new Conv2d(width / 2, width, 3, padding: 1, hasBias: false));
        _bn3 = register_module("bn3", new BatchNorm2d(width));
        long inplanes = width;
        _layer1 = register_module("layer1", Stage(ref inplanes, width, layers[0], 1));
        _layer2 = register_module("layer2", Stage(ref inplanes, width * 2, layers[1], 2));
        _layer3 = register_module("layer3", Stage(ref inplanes, width * 4, layers[2], 2));
        _layer4 = register_module("layer4", Stage(ref inplanes, width * 8, layers[3], 2));
        AttnPool = register_module("attnpool", new AttentionPool2d(inputResolution / 32, width * 32, heads, outputDim));
    }

    public AttentionPool2d AttnPool { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = _bn1.forward(_conv1.forward(x)).relu_();
        h = _bn2.forward(_conv2.forward(h)).relu_();
        h = _bn3.forward(_conv3.forward(h)).relu_();
        h = F.avg_pool2d(h, 2);
        h = _layer4.forward(_layer3.forward(_layer2.forward(_layer1.forward(h))));
        return AttnPool.forward(h).MoveToOuterScope();
    }

    private static Sequential Stage(ref long inplanes, long planes, int blocks, long stride)
    {
        var stage = new Sequential();
        for (int i = 0; i < blocks; i++)
        {
            stage.append(new TrainableBottleneck(inplanes, planes, i == 0 ? stride : 1));
            inplanes = planes * Bottleneck.Expansion;
        }
        return stage;
    }
}

/// <summary><see cref="Bottleneck"/> with trainable batch norm (same keys: conv1..3, bn1..3, downsample.0/.1).</summary>
public sealed class TrainableBottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly Sequential? _downsample;
    private readonly long _stride;

    public TrainableBottleneck(long inplanes, long planes, long stride = 1)
    {
        _stride = stride;
        _conv1 = register_module("conv1", new Conv2d(inplanes, planes, 1, hasBias: false));
        _bn1 = register_module("bn1", new BatchNorm2d(planes));
        _conv2 = register_module("conv2", new Conv2d(planes, planes, 3, padding: 1, hasBias: false));
        _bn2 = register_module("bn2", new BatchNorm2d(planes));
        _conv3 = register_module("conv3", new Conv2d(planes, planes * Bottleneck.Expansion, 1, hasBias: false));
        _bn3 = register_module("bn3", new BatchNorm2d(planes * Bottleneck.Expansion));
        // OpenAI's Sequential is ("-1" avgpool, "0" conv, "1" bn); the pool has no parameters, so it runs outside.
        if (stride > 1 || inplanes != planes * Bottleneck.Expansion)
            _downsample = register_module("downsample", new Sequential(
                new Conv2d(inplanes, planes * Bottleneck.Expansion, 1, hasBias: false),
                new BatchNorm2d(planes * Bottleneck.Expansion)));
    }

    /// <summary>The last BN's scale; zero at initialisation so every block starts as the identity (as OpenAI initialises CLIP).</summary>
    internal Parameter LastNormWeight => _bn3.weight;

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = _bn1.forward(_conv1.forward(x)).relu_();
        h = _bn2.forward(_conv2.forward(h)).relu_();
        if (_stride > 1) h = F.avg_pool2d(h, _stride);
        h = _bn3.forward(_conv3.forward(h));
        var identity = x;
        if (_downsample is not null) identity = _downsample.forward(_stride > 1 ? F.avg_pool2d(x, _stride) : x);
        return h.add_(identity).relu_().MoveToOuterScope();
    }
}
