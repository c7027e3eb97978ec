using RegionClip.Modeling.Layers;
using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Proposals;

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

internal static class Norms
{
    public static Module<Torch.Tensor, Torch.Tensor>? Create(NormKind kind, long channels) => kind switch
    {
        NormKind.None => null,
        NormKind.Frozen => new FrozenBatchNorm2d(channels),
        NormKind.BatchNorm => new BatchNorm2d(channels),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown norm kind"),
    };
}
