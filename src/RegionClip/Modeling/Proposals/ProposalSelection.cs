using RegionClip.Structures;
using RegionClip.Torch;
using RegionClip.Torch.Vision;

namespace RegionClip.Modeling.Proposals;

/// <summary>The per-image half of detectron2's find_top_rpn_proposals (test time).</summary>
public static class ProposalSelection
{
    /// <summary>
    /// Pre-NMS candidates of one image (boxes [K, 4], raw logits [K], level ids [K]) → drop
    /// non-finite rows, clip to <paramref name="imageSize"/>, drop boxes not wider and taller than
    /// MinSize, NMS within each level, keep the best PostNmsTopK by logit.
    /// </summary>
    public static ProposalSet SelectForImage(Tensor boxes, Tensor logits, Tensor levels, (int h, int w) imageSize, ProposalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var scope = torch.NewDisposeScope();
        var valid = boxes.isfinite().all(1).logical_and(logits.isfinite());
        if (!valid.all().item<bool>())
        {
            var rows = valid.nonzero().flatten();
            (boxes, logits, levels) = (boxes.index_select(0, rows), logits.index_select(0, rows), levels.index_select(0, rows));
        }
        boxes = ops.clip_boxes_to_image(boxes, (imageSize.h, imageSize.w));
        var widths = boxes.select(1, 2) - boxes.select(1, 0);
        var heights = boxes.select(1, 3) - boxes.select(1, 1);
        var nonEmpty = widths.gt(options.MinSize).logical_and(heights.gt(options.MinSize));
        if (!nonEmpty.all().item<bool>())
        {
            var rows = nonEmpty.nonzero().flatten();
            (boxes, logits, levels) = (boxes.index_select(0, rows), logits.index_select(0, rows), levels.index_select(0, rows));
        }
        var keep = ops.batched_nms(boxes, logits, levels, options.NmsThreshold);
        if (keep.size(0) > options.PostNmsTopK) keep = keep.narrow(0, 0, options.PostNmsTopK);
        return new ProposalSet(boxes.index_select(0, keep).MoveToOuterScope(), logits.index_select(0, keep).MoveToOuterScope());
    }
}
