using RegionClip.Torch;
using RegionClip.Torch.Vision;

namespace RegionClip.Modeling.Detection;

/// <summary>The kept (region, class) pairs of one image, boxes in the resized input's pixels.</summary>
internal sealed class KeptPairs(Tensor boxes, Tensor scores, Tensor classes, Tensor regions) : IDisposable
{
    public Tensor Boxes { get; } = boxes;     // float32 [N, 4]
    public Tensor Scores { get; } = scores;   // float32 [N]
    public Tensor Classes { get; } = classes; // int64 [N]
    public Tensor Regions { get; } = regions; // int64 [N]

    public void Dispose()
    {
        Boxes.Dispose();
        Scores.Dispose();
        Classes.Dispose();
        Regions.Dispose();
    }
}

/// <summary>detectron2's fast_rcnn_inference_single_image as RegionCLIP configures it.</summary>
internal static class Postprocess
{
    /// <param name="boxes">[R, 4] class-agnostic boxes in input pixels.</param>
    /// <param name="probs">[R, K + 1] softmax, background last.</param>
    /// <param name="objectness">[R] raw RPN logits, needed unless fusion is None.</param>
    internal static KeptPairs Run(Tensor boxes, Tensor probs, Tensor? objectness, int height, int width, DetectionOptions options)
    {
        options.Validate();
        using var scope = torch.NewDisposeScope();
        var rows = torch.arange(boxes.size(0), ScalarType.Int64);
        var scores = Fuse(probs, objectness, options.Fusion);
        // Rows with a non-finite box or score go entirely (with the reference fusion: every negative logit).
        var valid = boxes.isfinite().all(1).logical_and(scores.isfinite().all(1));
        if (!valid.all().item<bool>())
        {
            (boxes, scores, probs, rows) = (boxes[valid], scores[valid], probs[valid], rows[valid]);
        }
        var k = scores.size(1) - 1;
        scores = scores.narrow(1, 0, k);
        probs = probs.narrow(1, 0, k);
        boxes = ops.clip_boxes_to_image(boxes, (height, width));

        var mask = scores > options.ScoreThreshold;
        var pairs = mask.nonzero();                    // [M, 2] (row, class) in row-major order
        var pairRows = pairs.select(1, 0);
        var pairClasses = pairs.select(1, 1);
        var pairBoxes = boxes.index_select(0, pairRows);
        var pairScores = scores[mask];
        Tensor keep, kept;
        if (options.SoftNms)
            (keep, kept) = ops.batched_soft_nms(pairBoxes, pairScores, pairClasses, options.SoftNmsSigma, options.SoftNmsPrune);
        else
        {
            keep = ops.batched_nms(pairBoxes, pairScores, pairClasses, options.NmsThreshold);
            kept = pairScores.index_select(0, keep);
        }
        if (keep.size(0) > options.MaxDetections)
        {
            keep = keep.narrow(0, 0, options.MaxDetections);
            kept = kept.narrow(0, 0, options.MaxDetections);
        }
        var outScores = options.ReportUnfusedScores ? probs[mask].index_select(0, keep) : kept;
        return new KeptPairs(
            pairBoxes.index_select(0, keep).MoveToOuterScope(),
            outScores.to(ScalarType.Float32).MoveToOuterScope(),
            pairClasses.index_select(0, keep).MoveToOuterScope(),
            rows.index_select(0, pairRows.index_select(0, keep)).MoveToOuterScope());
    }

    private static Tensor Fuse(Tensor probs, Tensor? objectness, ScoreFusion fusion)
    {
        if (fusion == ScoreFusion.None) return probs.alias();
        if (objectness is null) throw new ArgumentException($"score fusion '{fusion}' needs RPN objectness; given boxes have none");
        var o = objectness.to(probs.dtype).unsqueeze(1);
        return fusion == ScoreFusion.Reference ? (probs * o).sqrt() : (probs * o.sigmoid()).sqrt();
    }
}
