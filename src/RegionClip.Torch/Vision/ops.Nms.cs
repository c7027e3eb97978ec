using RegionClip.Torch.Native;

namespace RegionClip.Torch.Vision;

public static partial class ops
{
    /// <summary>
    /// torchvision.ops.nms: greedy non-maximum suppression of <paramref name="boxes"/> [K, 4] (XYXY) by
    /// <paramref name="scores"/> [K] (same floating dtype). A box goes when its IoU with a kept,
    /// higher-scoring box is &gt; <paramref name="iou_threshold"/>. Returns the int64 indices of the kept
    /// boxes by decreasing score; ties keep index order (stable sort) and NaN scores rank first, as in
    /// torch.sort.
    /// </summary>
    public static Tensor nms(Tensor boxes, Tensor scores, double iou_threshold)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        CheckNotNaN(iou_threshold, nameof(iou_threshold), "ops.nms");
        Check.Ok(NativeMethods.rc_vision_nms(boxes.Handle, scores.Handle, TensorHandle.Null, iou_threshold, out var keep), "ops.nms", boxes, scores);
        return Tensor.Wrap(keep);
    }

    /// <summary>
    /// torchvision.ops.batched_nms: <see cref="nms"/> within each category of <paramref name="idxs"/> [K]
    /// (integers); boxes of different categories never suppress each other. Returns the int64 indices
    /// of the kept boxes by decreasing score.
    /// </summary>
    /// <remarks>
    /// Categories are separated exactly (torchvision's per-class path), not by its coordinate offsets,
    /// which round float32 boxes once idx * max_coordinate grows large.
    /// </remarks>
    public static Tensor batched_nms(Tensor boxes, Tensor scores, Tensor idxs, double iou_threshold)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(idxs);
        CheckNotNaN(iou_threshold, nameof(iou_threshold), "ops.batched_nms");
        Check.Ok(NativeMethods.rc_vision_nms(boxes.Handle, scores.Handle, idxs.Handle, iou_threshold, out var keep), "ops.batched_nms", boxes, scores, idxs);
        return Tensor.Wrap(keep);
    }

    /// <summary>
    /// Gaussian soft-NMS per category, as detectron2's <c>batched_soft_nms</c> (RegionCLIP's SOFT_NMS):
    /// repeatedly select the highest current score (lowest index on ties), record it, multiply every other
    /// score of its category by exp(-IoU² / <paramref name="sigma"/>) and drop those &lt;=
    /// <paramref name="score_threshold"/>. Returns the selected int64 indices in selection order (by
    /// decreasing re-scored score) and their scores when selected (the dtype of <paramref name="scores"/>).
    /// </summary>
    /// <remarks>Scores must be finite. IoU is 0 unless the intersection is positive, as detectron2's pairwise_iou.</remarks>
    public static (Tensor keep, Tensor scores) batched_soft_nms(Tensor boxes, Tensor scores, Tensor idxs, double sigma = 0.5, double score_threshold = 0.001)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(idxs);
        if (!double.IsFinite(sigma) || sigma <= 0)
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "ops.batched_soft_nms: sigma must be a positive finite number");
        CheckNotNaN(score_threshold, nameof(score_threshold), "ops.batched_soft_nms");
        Check.Ok(NativeMethods.rc_vision_soft_nms(boxes.Handle, scores.Handle, idxs.Handle, sigma, score_threshold, out var keep, out var kept),
            "ops.batched_soft_nms", boxes, scores, idxs);
        return (Tensor.Wrap(keep), Tensor.Wrap(kept));
    }

    private static void CheckNotNaN(double value, string name, string op)
    {
        if (double.IsNaN(value)) throw new ArgumentOutOfRangeException(name, value, $"{op}: {name} is NaN");
    }
}
