using RegionClip.Data.Coco;

namespace RegionClip.Structures;

/// <summary>
/// The ground-truth boxes of a COCO/LVIS image as detection sees them, by one rule everywhere (zero-shot
/// detection on GT boxes, the demo's evaluation, RPN training): non-crowd annotations whose width and
/// height exceed 1e-5, detectron2's rule for an empty box, in the file's order.
/// </summary>
public static class GroundTruthBoxes
{
    /// <summary>The side a box must exceed to count (detectron2's <c>Boxes.nonempty</c> threshold).</summary>
    public const double MinSide = 1e-5;

    /// <summary>The usable annotations of image <paramref name="imageId"/>.</summary>
    public static IReadOnlyList<CocoAnnotation> Of(CocoDataset dataset, long imageId)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.AnnotationsOf(imageId).Where(a => !a.IsCrowd && a.Bbox[2] > MinSide && a.Bbox[3] > MinSide).ToList();
    }

    /// <summary>An annotation's [x, y, w, h] as an XYXY box.</summary>
    public static Box ToBox(CocoAnnotation annotation)
    {
        ArgumentNullException.ThrowIfNull(annotation);
        return Box.FromXywh(annotation.Bbox[0], annotation.Bbox[1], annotation.Bbox[2], annotation.Bbox[3]);
    }
}
