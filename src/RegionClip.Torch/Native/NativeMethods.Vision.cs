using System.Runtime.InteropServices;

namespace RegionClip.Torch.Native;

/// <summary>P/Invoke declarations of native/include/regionclip_vision.h (RoIAlign and NMS kernels).</summary>
internal static partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static partial int rc_vision_roi_align(TensorHandle input, TensorHandle rois, long outH, long outW, double spatialScale,
        long samplingRatio, int aligned, out IntPtr o);

    [LibraryImport(Lib)]
    internal static partial int rc_vision_nms(TensorHandle boxes, TensorHandle scores, TensorHandle idxs, double iouThreshold, out IntPtr keep);

    [LibraryImport(Lib)]
    internal static partial int rc_vision_soft_nms(TensorHandle boxes, TensorHandle scores, TensorHandle idxs, double sigma, double scoreThreshold,
        out IntPtr keep, out IntPtr keptScores);
}
