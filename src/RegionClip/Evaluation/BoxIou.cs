namespace RegionClip.Evaluation;

/// <summary>Box IoU with pycocotools' formula (maskApi.c bbIou), operation for operation.</summary>
internal static class BoxIou
{
    /// <summary>
    /// IoU of a detection with a ground truth, boxes as (x, y, width, height). Against a crowd box the union is
    /// the detection's own area, so a detection inside a crowd region scores its full overlap.
    /// </summary>
    public static double Iou(double dx, double dy, double dw, double dh, double gx, double gy, double gw, double gh, bool crowd)
    {
        double w = Math.Min(dw + dx, gw + gx) - Math.Max(dx, gx);
        if (w <= 0) return 0;
        double h = Math.Min(dh + dy, gh + gy) - Math.Max(dy, gy);
        if (h <= 0) return 0;
        double inter = w * h;
        double detArea = dw * dh;
        double union = crowd ? detArea : detArea + gw * gh - inter;
        return inter / union;
    }
}
