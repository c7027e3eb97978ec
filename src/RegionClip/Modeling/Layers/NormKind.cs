using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Layers;

/// <summary>The normalisation after a detectron2 convolution (RESNETS.NORM / FPN.NORM).</summary>
public enum NormKind
{
    /// <summary>No norm; the convolution has a bias (FPN.NORM "").</summary>
    None,
    /// <summary>FrozenBN: fixed statistics and affine terms, all buffers (the official C4/FPN RPNs).</summary>
    Frozen,
    /// <summary>BatchNorm with running statistics: the LSJ RPN's SyncBN, which in eval is exactly this.</summary>
    BatchNorm,
}

public static class Norms
{
    /// <summary>The norm layer of <paramref name="kind"/> over <paramref name="channels"/> channels; null for <see cref="NormKind.None"/>.</summary>
    public static Module<Torch.Tensor, Torch.Tensor>? Create(NormKind kind, long channels) => kind switch
    {
        NormKind.None => null,
        NormKind.Frozen => new FrozenBatchNorm2d(channels),
        NormKind.BatchNorm => new BatchNorm2d(channels),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown norm kind"),
    };
}
