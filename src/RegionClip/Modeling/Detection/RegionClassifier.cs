using RegionClip.Torch;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Modeling.Detection;

/// <summary>
/// RegionCLIP's text-embedding classifier: cosine similarity of each region with each
/// concept, a background column whose logit is exactly 0 (a frozen zero embedding), all divided by
/// the temperature 0.01, softmax over K + 1 with background last.
/// </summary>
public static class RegionClassifier
{
    /// <summary>CLSS_TEMP of every released config.</summary>
    public const double Temperature = 0.01;

    /// <summary>regions [R, D], concepts [K, D] (both unnormalised) → logits [R, K + 1].</summary>
    public static Tensor Logits(Tensor regions, Tensor concepts, double temperature = Temperature)
    {
        if (regions.ndim != 2 || concepts.ndim != 2 || regions.size(1) != concepts.size(1))
            throw new ArgumentException($"regions [R, D] and concepts [K, D] must share D; got [{string.Join(", ", regions.shape)}] and [{string.Join(", ", concepts.shape)}] (was the concept file made with a different model size?)");
        if (concepts.size(0) == 0) throw new ArgumentException("the vocabulary is empty: give at least one concept");
        using var scope = torch.NewDisposeScope();
        var cos = F.normalize(regions, dim: 1).matmul(F.normalize(concepts, dim: 1).t());
        var background = torch.zeros([cos.size(0), 1], cos.dtype);
        return (torch.cat([cos, background], 1) / temperature).MoveToOuterScope();
    }

    /// <summary>Softmax of <see cref="Logits"/>: [R, K + 1], background last.</summary>
    public static Tensor Probabilities(Tensor regions, Tensor concepts, double temperature = Temperature)
    {
        using var logits = Logits(regions, concepts, temperature);
        return F.softmax(logits, 1);
    }
}
