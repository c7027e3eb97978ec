using RegionClip.Structures;

namespace RegionClip.Data.Datasets;

/// <summary>
/// detectron2's transform_instance_annotations for a resized (and maybe mirrored) training view: an XYXY box in original
/// pixels scaled in float64, mirrored x' = W − x, clipped to the view; a box left without area (side ≤ 1e-5) is dropped,
/// as filter_empty_instances does. The one rule of every trainer that reads COCO boxes.
/// </summary>
internal static class ViewBoxes
{
    /// <summary>Appends the box's view coordinates to <paramref name="into"/> and returns true, or false when nothing of it is left.</summary>
    public static bool TryAdd(double[] box, double sx, double sy, int width, int height, bool flip, List<float> into)
    {
        double x1 = box[0] * sx, y1 = box[1] * sy, x2 = box[2] * sx, y2 = box[3] * sy;
        if (flip) (x1, x2) = (width - x2, width - x1);
        static float Clip(double v, int size) => (float)Math.Min(Math.Max(v, 0), size);
        float fx1 = Clip(x1, width), fy1 = Clip(y1, height), fx2 = Clip(x2, width), fy2 = Clip(y2, height);
        if (!(fx2 - fx1 > GroundTruthBoxes.MinSide && fy2 - fy1 > GroundTruthBoxes.MinSide)) return false;
        into.AddRange([fx1, fy1, fx2, fy2]);
        return true;
    }
}
