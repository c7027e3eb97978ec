using RegionClip.Common;
using RegionClip.Torch;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's <c>subsample_labels</c> for the RPN (BATCH_SIZE_PER_IMAGE 256, POSITIVE_FRACTION 0.5):
/// at most ⌊256 · 0.5⌋ foreground anchors, then background anchors up to 256 in all, each set drawn
/// uniformly without replacement; every other anchor becomes −1 (ignored). The draw uses the
/// project's own seeded generator (detectron2 uses torch.randperm), so it does not depend on
/// libtorch's RNG state and a resumed run draws the same anchors.
/// </summary>
public sealed class AnchorSampler
{
    public AnchorSampler(int batchSizePerImage = 256, double positiveFraction = 0.5)
    {
        if (batchSizePerImage < 1) throw new ArgumentOutOfRangeException(nameof(batchSizePerImage), batchSizePerImage, "batch_size_per_image must be at least 1");
        if (positiveFraction is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(positiveFraction), positiveFraction, "positive_fraction must be in [0, 1]");
        BatchSizePerImage = batchSizePerImage;
        PositiveFraction = positiveFraction;
    }

    public int BatchSizePerImage { get; }
    public double PositiveFraction { get; }

    /// <summary>Labels [A] (int64: 1, 0, −1) → new labels [A] with only the sampled anchors left at 1 or 0.</summary>
    public Tensor Sample(Tensor labels, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(rng);
        if (labels.ndim != 1) throw new ArgumentException($"labels must be a vector [anchors], got [{string.Join(", ", labels.shape)}]");
        using var scope = torch.NewDisposeScope();
        var values = labels.to(ScalarType.Int64).data<long>();
        var positive = new List<int>();
        var negative = new List<int>();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] == 1) positive.Add(i);
            else if (values[i] == 0) negative.Add(i);
        }
        int numPos = Math.Min(positive.Count, (int)(BatchSizePerImage * PositiveFraction));
        int numNeg = Math.Min(negative.Count, BatchSizePerImage - numPos);
        var sampled = new long[values.Length];
        Array.Fill(sampled, -1L);
        foreach (var i in Draw(positive, numPos, rng)) sampled[i] = 1;
        foreach (var i in Draw(negative, numNeg, rng)) sampled[i] = 0;
        return torch.tensor(sampled, sampled.Length).MoveToOuterScope();
    }

    /// <summary>The first <paramref name="count"/> items of a uniform random permutation (partial Fisher–Yates).</summary>
    private static IEnumerable<int> Draw(List<int> items, int count, Prng rng)
    {
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(items.Count - i);
            (items[i], items[j]) = (items[j], items[i]);
            yield return items[i];
        }
    }
}
