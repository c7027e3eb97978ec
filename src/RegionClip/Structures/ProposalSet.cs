using RegionClip.Torch;

namespace RegionClip.Structures;

/// <summary>
/// One image's proposals, best first: boxes [R, 4] float32 (x1, y1, x2, y2 in the resized input's
/// pixels, clipped to it) and their RAW objectness logits [R] (no sigmoid: RegionCLIP fuses with the
/// logit itself). Owns both tensors.
/// </summary>
/// <remarks>Named ProposalSet, not Proposals: a type named like its namespace would be shadowed by the namespace inside RegionClip.Modeling.*.</remarks>
public sealed record ProposalSet(Tensor Boxes, Tensor Objectness) : IDisposable
{
    public long Count => Boxes.size(0);

    /// <summary>Hands both tensors to the enclosing dispose scope (see <see cref="Tensor.MoveToOuterScope"/>).</summary>
    public ProposalSet MoveToOuterScope()
    {
        Boxes.MoveToOuterScope();
        Objectness.MoveToOuterScope();
        return this;
    }

    public void Dispose()
    {
        Boxes.Dispose();
        Objectness.Dispose();
    }
}
