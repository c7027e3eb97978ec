using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Clip;

/// <summary>
/// CLIP's anti-aliased bottleneck: 1×1 → 3×3 → avgpool(stride) → 1×1 (×4 channels); all
/// convolutions are stride 1 and the shortcut downsamples by average pooling too.
/// </summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly Module<Tensor, Tensor> _bn1, _bn2, _bn3;
    private readonly Conv2d? _downConv;
    private readonly Module<Tensor, Tensor>? _downBn;
    private readonly long _stride;

    /// <param name="norm">Makes each batch norm for a channel count; frozen BN (RegionCLIP) when null.</param>
    public Bottleneck(long inplanes, long planes, long stride = 1, Func<long, Module<Tensor, Tensor>>? norm = null)
    {
        norm ??= ModifiedResNet.FrozenNorm;
        _stride = stride;
        _conv1 = register_module("conv1", new Conv2d(inplanes, planes, 1, hasBias: false));
        _bn1 = register_module("bn1", norm(planes));
        _conv2 = register_module("conv2", new Conv2d(planes, planes, 3, padding: 1, hasBias: false));
        _bn2 = register_module("bn2", norm(planes));
        _conv3 = register_module("conv3", new Conv2d(planes, planes * Expansion, 1, hasBias: false));
        _bn3 = register_module("bn3", norm(planes * Expansion));
        if (stride > 1 || inplanes != planes * Expansion)
        {
            // Keys downsample.0 (conv) and downsample.1 (BN); OpenAI's "-1" avgpool has no parameters.
            var down = register_module("downsample", new Downsample());
            _downConv = down.Add("0", new Conv2d(inplanes, planes * Expansion, 1, hasBias: false));
            _downBn = down.Add("1", norm(planes * Expansion));
        }
    }

    /// <summary>Each convolution with the norm after it, in order: conv1/bn1, conv2/bn2, conv3/bn3.</summary>
    internal IReadOnlyList<(Conv2d Conv, Module<Tensor, Tensor> Norm)> Main => [(_conv1, _bn1), (_conv2, _bn2), (_conv3, _bn3)];

    /// <summary>The shortcut's convolution and norm (downsample.0/.1), when the block changes shape.</summary>
    internal (Conv2d Conv, Module<Tensor, Tensor> Norm)? Shortcut => _downConv is null ? null : (_downConv, _downBn!);

    /// <summary>The block's spatial stride (average pooling after conv2 and on the shortcut).</summary>
    internal long Stride => _stride;

    /// <summary>The block's last norm (bn3): OpenAI's initialisation zeroes its scale so a new block starts as the identity.</summary>
    public Module<Tensor, Tensor> LastNorm => _bn3;

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = _bn1.forward(_conv1.forward(x)).relu_();
        h = _bn2.forward(_conv2.forward(h)).relu_();
        if (_stride > 1) h = F.avg_pool2d(h, _stride);
        h = _bn3.forward(_conv3.forward(h));
        var identity = x;
        if (_downConv is not null)
        {
            var pooled = _stride > 1 ? F.avg_pool2d(x, _stride) : x;
            identity = _downBn!.forward(_downConv.forward(pooled));
        }
        return h.add_(identity).relu_().MoveToOuterScope();
    }

    /// <summary>A container whose children keep PyTorch's Sequential indices as names.</summary>
    private sealed class Downsample : Module
    {
        public T Add<T>(string name, T m) where T : Module => register_module(name, m);
    }
}
