using RegionClip.Torch.Native;

namespace RegionClip.Torch.Vision;

/// <summary>
/// torchvision.ops for detection, in PyTorch spelling: RoIAlign and NMS (hard, batched, gaussian
/// soft-NMS) run as C++ kernels in the native shim (CPU); the box utilities are compositions of
/// tensor ops. Boxes are XYXY in pixels; IoU uses widths x2 - x1 (no +1).
/// </summary>
/// <remarks>
/// Bad tensors (shape, dtype, device, a batch index out of range, non-finite RoI coordinates) are a
/// <see cref="TorchException"/> naming the argument and its shape; bad scalar arguments an
/// <see cref="ArgumentException"/>. The kernels run on CPU; a CUDA tensor is refused with that reason.
/// </remarks>
public static partial class ops
{
    /// <summary>torchvision.ops.roi_align with a square output.</summary>
    public static Tensor roi_align(Tensor input, Tensor boxes, long output_size, double spatial_scale = 1.0, long sampling_ratio = -1, bool aligned = false) =>
        roi_align(input, boxes, (output_size, output_size), spatial_scale, sampling_ratio, aligned);

    /// <summary>
    /// torchvision.ops.roi_align: bilinear RoI pooling of <paramref name="input"/> [N, C, H, W]
    /// (float32/float64) over <paramref name="boxes"/> [K, 5] = (batch_index, x1, y1, x2, y2) of the same
    /// dtype, given in input pixels / <paramref name="spatial_scale"/>. Returns [K, C, h, w].
    /// </summary>
    /// <param name="sampling_ratio">Samples per bin and axis; &lt;= 0 means adaptive, ceil(roi_size / output_size).</param>
    /// <param name="aligned">Shift box coordinates by -0.5 pixel (detectron2's ROIAlignV2); false is the legacy
    /// RoIAlign, which also stretches boxes to at least 1x1.</param>
    /// <remarks>Records autograd when <paramref name="input"/> requires grad: backward fills input.grad (boxes get none).</remarks>
    public static Tensor roi_align(Tensor input, Tensor boxes, (long h, long w) output_size, double spatial_scale = 1.0, long sampling_ratio = -1,
        bool aligned = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(boxes);
        CheckRoiAlignScalars(output_size, spatial_scale);
        Check.Ok(NativeMethods.rc_vision_roi_align(input.Handle, boxes.Handle, output_size.h, output_size.w, spatial_scale, sampling_ratio, aligned ? 1 : 0,
            out var o), "ops.roi_align", input, boxes);
        return Tensor.Wrap(o);
    }

    /// <summary>
    /// torchvision.ops.roi_align with one [Ki, 4] XYXY tensor per image: the batch index of a box is the
    /// position of its tensor in the list.
    /// </summary>
    public static Tensor roi_align(Tensor input, IReadOnlyList<Tensor> boxes, (long h, long w) output_size, double spatial_scale = 1.0,
        long sampling_ratio = -1, bool aligned = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(boxes);
        CheckRoiAlignScalars(output_size, spatial_scale);
        using var scope = torch.NewDisposeScope();
        var rois = RoisOf(boxes, input.dtype);
        return roi_align(input, rois, output_size, spatial_scale, sampling_ratio, aligned).MoveToOuterScope();
    }

    // torchvision's convert_boxes_to_roi_format: [sum Ki, 5] with the list position as batch index.
    private static Tensor RoisOf(IReadOnlyList<Tensor> boxes, ScalarType dtype)
    {
        if (boxes.Count == 0) return torch.zeros([0, 5], dtype);
        var parts = new Tensor[boxes.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            var b = boxes[i] ?? throw new ArgumentNullException(nameof(boxes), $"ops.roi_align: boxes[{i}] is null");
            var shape = b.shape;
            if (shape.Length != 2 || shape[1] != 4)
                throw new ArgumentException($"ops.roi_align: boxes[{i}] must be [K, 4] (x1, y1, x2, y2); got {b.dtype.Name()}[{string.Join(", ", shape)}]", nameof(boxes));
            if (b.dtype != dtype)
                throw new ArgumentException($"ops.roi_align: boxes[{i}] must have the dtype of input ({dtype.Name()}); got {b.dtype.Name()}[{string.Join(", ", shape)}]", nameof(boxes));
            parts[i] = torch.cat([torch.full([shape[0], 1], i, dtype, b.device), b], 1);
        }
        return torch.cat(parts);
    }

    private static void CheckRoiAlignScalars((long h, long w) output_size, double spatial_scale)
    {
        if (output_size.h < 1 || output_size.w < 1)
            throw new ArgumentOutOfRangeException(nameof(output_size), $"ops.roi_align: output_size must be positive; got ({output_size.h}, {output_size.w})");
        if (!double.IsFinite(spatial_scale) || spatial_scale <= 0)
            throw new ArgumentOutOfRangeException(nameof(spatial_scale), spatial_scale, "ops.roi_align: spatial_scale must be a positive finite number");
    }
}
