using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Layers;

/// <summary>
/// Batch norm with fixed statistics and affine terms, all buffers (never trained, never updated):
/// y = (x − running_mean)/√(running_var + eps)·weight + bias. RegionCLIP uses it for every BN.
/// </summary>
public sealed class FrozenBatchNorm2d : Module<Tensor, Tensor>
{
    public const double Eps = 1e-5;

    private readonly Tensor _weight, _bias, _mean, _var;

    public FrozenBatchNorm2d(long channels)
    {
        _weight = register_buffer("weight", torch.ones([channels]))!;
        _bias = register_buffer("bias", torch.zeros([channels]))!;
        _mean = register_buffer("running_mean", torch.zeros([channels]))!;
        _var = register_buffer("running_var", torch.ones([channels]))!;
    }

    /// <summary>The normalisation as tensors (the module's own; do not dispose), for folding into a convolution.</summary>
    public (Tensor Weight, Tensor Bias, Tensor RunningMean, Tensor RunningVar) Parameters => (_weight, _bias, _mean, _var);

    /// <summary>As detectron2's FrozenBatchNorm2d: the step counter of a trained BN's state means nothing here and is dropped.</summary>
    protected override void adapt_loaded_state(string prefix, IDictionary<string, Tensor> state) =>
        state.Remove(prefix + "num_batches_tracked");

    public override Tensor forward(Tensor x) =>
        F.batch_norm(x, _mean, _var, _weight, _bias, training: false, momentum: 0, eps: Eps);
}
