using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.nn;

namespace RegionClip.Modeling.Proposals;

/// <summary>
/// detectron2's RPN ("proposal_generator"): the head ("rpn_head", the only part with weights), the
/// anchor generator and the (1, 1, 1, 1) box transform. At inference it turns feature maps into
/// per-image proposals with raw objectness logits (<see cref="PredictProposals"/>).
/// </summary>
public sealed class Rpn : Module
{
    public Rpn(RpnHead head, AnchorGenerator anchors)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(anchors);
        if (head.NumAnchors != anchors.NumAnchors)
            throw new ArgumentException($"the RPN head predicts {head.NumAnchors} anchors per location but the anchor generator makes {anchors.NumAnchors}");
        Head = register_module("rpn_head", head);
        Anchors = anchors;
    }

    public RpnHead Head { get; }
    public AnchorGenerator Anchors { get; }
    public Box2BoxTransform BoxTransform { get; } = Box2BoxTransform.Rpn;

    /// <summary>
    /// The head's raw outputs over all levels in detectron2's anchor order (level, then location
    /// row-major, then anchor): objectness logits [N, R], anchor deltas [N, R, 4] and the anchors [R, 4],
    /// R = Σ Hi·Wi·A. Differentiable (training computes its losses on them).
    /// </summary>
    public (Tensor logits, Tensor deltas, Tensor anchors) DenseOutputs(IReadOnlyList<Tensor> features)
    {
        if (features.Count != Anchors.Strides.Length)
            throw new ArgumentException($"{features.Count} feature map(s) for an RPN with {Anchors.Strides.Length} level(s)");
        using var scope = torch.NewDisposeScope();
        var (logits, deltas) = Head.forward(features);
        var anchors = Anchors.GridAnchors(features.Select(f => (f.size(2), f.size(3))).ToArray());
        long n = features[0].size(0), a = Head.NumAnchors;
        var flatLogits = new Tensor[features.Count];
        var flatDeltas = new Tensor[features.Count];
        for (int l = 0; l < features.Count; l++)
        {
            long h = deltas[l].size(2), w = deltas[l].size(3);
            flatLogits[l] = logits[l].permute(0, 2, 3, 1).flatten(1);                                         // (N, A, H, W) -> (N, H·W·A)
            flatDeltas[l] = deltas[l].view(n, a, RpnHead.BoxDim, h, w).permute(0, 3, 4, 1, 2).flatten(1, -2);  // (N, 4A, H, W) -> (N, H·W·A, 4)
        }
        return (torch.cat(flatLogits, 1).MoveToOuterScope(), torch.cat(flatDeltas, 1).MoveToOuterScope(), torch.cat(anchors).MoveToOuterScope());
    }

    /// <summary>
    /// Feature maps (one per anchor level, [N, C, Hi, Wi]) of a padded batch → proposals of each image,
    /// clipped to its true size <paramref name="imageSizes"/>[n] (detectron2's find_top_rpn_proposals).
    /// </summary>
    public ProposalSet[] PredictProposals(IReadOnlyList<Tensor> features, IReadOnlyList<(int h, int w)> imageSizes, int preNmsTopK, ProposalOptions options)
    {
        if (features.Count != Anchors.Strides.Length)
            throw new ArgumentException($"{features.Count} feature map(s) for an RPN with {Anchors.Strides.Length} level(s)");
        if (features[0].size(0) != imageSizes.Count)
            throw new ArgumentException($"a batch of {features[0].size(0)} feature maps but {imageSizes.Count} image size(s)");
        ArgumentOutOfRangeException.ThrowIfLessThan(preNmsTopK, 1);
        using var scope = torch.NewDisposeScope();
        var (logits, deltas) = Head.forward(features);
        var anchors = Anchors.GridAnchors(features.Select(f => (f.size(2), f.size(3))).ToArray());
        long n = features[0].size(0), a = Head.NumAnchors;

        // Per level: (N, A, H, W) -> (N, H·W·A) logits; (N, 4A, H, W) -> (N, H·W·A, 4) deltas;
        // the top-k by raw logit, whose anchors are then decoded (decoding is per row, so decoding
        // only the selected rows equals detectron2's decode-all-then-select).
        var levelScores = new Tensor[features.Count];
        var levelIndices = new Tensor[features.Count];
        var levelDeltas = new Tensor[features.Count];
        for (int l = 0; l < features.Count; l++)
        {
            var flat = logits[l].permute(0, 2, 3, 1).flatten(1);
            long h = deltas[l].size(2), w = deltas[l].size(3);
            levelDeltas[l] = deltas[l].view(n, a, RpnHead.BoxDim, h, w).permute(0, 3, 4, 1, 2).flatten(1, -2);
            (levelScores[l], levelIndices[l]) = flat.topk(Math.Min(flat.size(1), preNmsTopK), 1);
        }

        var results = new ProposalSet[n];
        for (int i = 0; i < n; i++)
        {
            var boxes = new Tensor[features.Count];
            var scores = new Tensor[features.Count];
            var levels = new Tensor[features.Count];
            for (int l = 0; l < features.Count; l++)
            {
                var idx = levelIndices[l][i];
                boxes[l] = BoxTransform.ApplyDeltas(levelDeltas[l][i].index_select(0, idx), anchors[l].index_select(0, idx));
                scores[l] = levelScores[l][i];
                levels[l] = torch.full([idx.size(0)], l, ScalarType.Int64);
            }
            results[i] = ProposalSelection.SelectForImage(torch.cat(boxes), torch.cat(scores), torch.cat(levels), imageSizes[i], options);
        }
        foreach (var r in results) r.MoveToOuterScope();
        return results;
    }
}
