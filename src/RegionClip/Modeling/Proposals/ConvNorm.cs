using RegionClip.Modeling.Layers;
using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's Conv2d wrapper: a convolution whose own keys are "weight" (and "bias" when it has no
/// norm), followed by an optional "norm" child and an optional ReLU.
/// </summary>
public sealed class ConvNorm : Module<Tensor, Tensor>
{
    private readonly long _stride, _padding;
    private readonly Module<Tensor, Tensor>? _norm;
    private readonly bool _relu;

    public ConvNorm(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0,
        NormKind norm = NormKind.None, bool hasBias = false, bool relu = false)
    {
        (_stride, _padding, _relu) = (stride, padding, relu);
        weight = register_parameter("weight", torch.empty([outChannels, inChannels, kernelSize, kernelSize]))!;
        // detectron2 initialises these convs with c2_msra_fill: kaiming normal (fan_out, ReLU gain), zero bias.
        init.kaiming_normal_(weight, mode: "fan_out");
        if (hasBias) bias = register_parameter("bias", torch.zeros([outChannels]))!;
        _norm = Norms.Create(norm, outChannels);
        if (_norm is not null) register_module("norm", _norm);
    }

    public Parameter weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor x)
    {
        var y = F.conv2d(x, weight, bias, _stride, _padding);
        if (_norm is not null)
        {
            var normed = _norm.forward(y);
            y.Dispose();
            y = normed;
        }
        return _relu ? y.relu_() : y;
    }
}
