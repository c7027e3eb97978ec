using RegionClip.Torch;
using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's StandardRPNHead, shared by every level: 3×3 conv + ReLU ("conv"; the LSJ variant
/// stacks two, "conv.conv0" and "conv.conv1"), then 1×1 convs "objectness_logits" (A per location)
/// and "anchor_deltas" (4·A per location).
/// </summary>
public sealed class RpnHead : Module
{
    public const int BoxDim = 4;

    private readonly ConvNorm[] _convs;
    private readonly Conv2d _objectness, _deltas;

    /// <param name="convDims">Output channels of each 3×3 conv; one conv keeps the key "conv", several become "conv.conv{k}".</param>
    public RpnHead(long inChannels, long[] convDims, int numAnchors)
    {
        if (convDims.Length == 0) throw new ArgumentException("the RPN head needs at least one 3×3 conv", nameof(convDims));
        if (numAnchors < 1) throw new ArgumentOutOfRangeException(nameof(numAnchors), numAnchors, "anchors per location must be positive");
        _convs = new ConvNorm[convDims.Length];
        long channels = inChannels;
        if (convDims.Length == 1)
        {
            _convs[0] = register_module("conv", new ConvNorm(channels, convDims[0], 3, padding: 1, hasBias: true, relu: true));
        }
        else
        {
            var stack = register_module("conv", new Stack());
            for (int k = 0; k < convDims.Length; k++)
            {
                _convs[k] = stack.Add($"conv{k}", new ConvNorm(channels, convDims[k], 3, padding: 1, hasBias: true, relu: true));
                channels = convDims[k];
            }
        }
        channels = convDims[^1];
        _objectness = register_module("objectness_logits", new Conv2d(channels, numAnchors, 1));
        _deltas = register_module("anchor_deltas", new Conv2d(channels, numAnchors * BoxDim, 1));
        // detectron2's initialisation: every conv of the head N(0, 0.01²), bias 0.
        foreach (var p in parameters())
        {
            if (p.ndim == 4) init.normal_(p, 0, 0.01);
            else init.zeros_(p);
        }
        NumAnchors = numAnchors;
    }

    public int NumAnchors { get; }

    /// <summary>Per level: objectness logits [N, A, Hi, Wi] and anchor deltas [N, 4A, Hi, Wi].</summary>
    public (Tensor[] logits, Tensor[] deltas) forward(IReadOnlyList<Tensor> features)
    {
        using var scope = torch.NewDisposeScope();
        var logits = new Tensor[features.Count];
        var deltas = new Tensor[features.Count];
        for (int i = 0; i < features.Count; i++)
        {
            var t = features[i];
            foreach (var conv in _convs) t = conv.forward(t);
            logits[i] = _objectness.forward(t).MoveToOuterScope();
            deltas[i] = _deltas.forward(t).MoveToOuterScope();
        }
        return (logits, deltas);
    }

    /// <summary>nn.Sequential-like holder that keeps detectron2's child names conv0, conv1, ….</summary>
    private sealed class Stack : Module
    {
        public T Add<T>(string name, T m) where T : Module => register_module(name, m);
    }
}
