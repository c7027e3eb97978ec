using RegionClip.Torch;
using RegionClip.Torch.nn;
using F = RegionClip.Torch.nn.functional;

namespace RegionClip.Training.Pretraining;

/// <summary>
/// The teacher's pseudo region–concept labels for one batch: which regions are kept, the teacher's
/// concept distribution of each kept region and its top concept.
/// </summary>
/// <param name="Keep">bool [R]: regions whose top concept probability passed the threshold (all when none did).</param>
/// <param name="Probabilities">[N, K] teacher softmax over the concepts of the N kept regions.</param>
/// <param name="Targets">int64 [N]: the top concept of each kept region.</param>
/// <param name="NonePassed">No region passed the threshold, so every region was kept (the official fallback).</param>
public sealed record PseudoLabels(Tensor Keep, Tensor Probabilities, Tensor Targets, bool NonePassed) : IDisposable
{
    public long Kept => Targets.size(0);

    public void Dispose()
    {
        Keep.Dispose();
        Probabilities.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// RegionCLIP's region–concept objectives (PretrainFastRCNN's region_concept_matching): the
/// teacher labels each region with a concept distribution; the student learns it by distillation
/// (KL) and by a multi-instance contrastive loss against the kept regions' concept embeddings.
/// Embeddings are normalised by plain division, as the official code does.
/// </summary>
public static class RegionConceptLosses
{
    /// <summary>
    /// Teacher labels: P = softmax(t̂·Ĉᵀ / temperature); keep regions whose top probability is above
    /// <paramref name="threshold"/>, or every region when none is. Runs without gradient.
    /// </summary>
    /// <param name="teacherRegions">[R, D] teacher region embeddings (not normalised).</param>
    /// <param name="teacherConcepts">[K, D] teacher concept embeddings (not normalised).</param>
    public static PseudoLabels Label(Tensor teacherRegions, Tensor teacherConcepts, double threshold, double temperature)
    {
        CheckPair(teacherRegions, teacherConcepts, "teacher region", "teacher concept");
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var probabilities = F.softmax(Normalize(teacherRegions).matmul(Normalize(teacherConcepts).t()) / temperature, 1);
        var (top, targets) = probabilities.max(1);
        var keep = top > threshold;
        bool nonePassed = !keep.any().item<bool>();
        if (nonePassed) keep = top > 0.0;
        return new PseudoLabels(keep.MoveToOuterScope(), probabilities.index(keep).MoveToOuterScope(), targets.index(keep).MoveToOuterScope(), nonePassed);
    }

    /// <summary>
    /// loss_region_distill: KL(P ‖ Q) summed over concepts and divided by the kept regions ('batchmean'),
    /// Q = softmax(ŝ·Ĉᵀ / temperature). log Q is a log-softmax, so a student probability that underflows
    /// to 0 gives a large finite loss, not the official log(softmax) → −∞ → NaN; P = 0 terms are 0.
    /// </summary>
    /// <param name="studentRegions">[N, D] kept student region embeddings (not normalised).</param>
    /// <param name="studentConcepts">[K, D] student concept embeddings (not normalised).</param>
    /// <param name="teacherProbabilities">[N, K] from <see cref="Label"/>.</param>
    public static Tensor Distillation(Tensor studentRegions, Tensor studentConcepts, Tensor teacherProbabilities, double temperature)
    {
        CheckPair(studentRegions, studentConcepts, "student region", "student concept");
        using var scope = torch.NewDisposeScope();
        var logQ = F.log_softmax(Normalize(studentRegions).matmul(Normalize(studentConcepts).t()) / temperature, 1);
        return F.kl_div(logQ, teacherProbabilities, reduction: Reduction.BatchMean).MoveToOuterScope();
    }

    /// <summary>
    /// loss_concept_contrastive: M = ŝ·eᵀ / temperature over the kept regions (e_j the normalised student
    /// embedding of region j's concept); positives are the regions with the same concept; loss =
    /// mean_r −log Σ_{j positive} softmax(M_r)_j, computed as logsumexp(all) − logsumexp(positives), which
    /// cannot underflow as the official −log(Σ positives' probabilities) can.
    /// </summary>
    /// <param name="studentRegions">[N, D] kept student region embeddings (not normalised).</param>
    /// <param name="studentConcepts">[K, D] student concept embeddings (not normalised).</param>
    /// <param name="targets">int64 [N] concept of each kept region.</param>
    public static Tensor ConceptContrastive(Tensor studentRegions, Tensor studentConcepts, Tensor targets, double temperature)
    {
        CheckPair(studentRegions, studentConcepts, "student region", "student concept");
        using var scope = torch.NewDisposeScope();
        var targetEmbeddings = Normalize(studentConcepts.index_select(0, targets));
        var logits = Normalize(studentRegions).matmul(targetEmbeddings.t()) / temperature;     // [N, N]
        var positive = targets.view(-1, 1).eq(targets.view(1, -1));
        var positives = logits.masked_fill(positive.logical_not(), double.NegativeInfinity);
        return (logits.logsumexp(1) - positives.logsumexp(1)).mean().MoveToOuterScope();
    }

    /// <summary>Row-wise x / ‖x‖ (plain division, as RegionCLIP normalises).</summary>
    public static Tensor Normalize(Tensor x) => x / x.norm(2, [1], keepdim: true);

    private static void CheckPair(Tensor regions, Tensor concepts, string a, string b)
    {
        if (regions.ndim != 2 || concepts.ndim != 2 || regions.size(1) != concepts.size(1))
            throw new ArgumentException($"{a} embeddings [R, D] and {b} embeddings [K, D] must share D; got [{string.Join(", ", regions.shape)}] and [{string.Join(", ", concepts.shape)}]");
    }
}
