/* Detection kernels: RoIAlign (forward + backward, wired into autograd), hard NMS, batched NMS and
 * gaussian soft-NMS, with torchvision's / detectron2's semantics. CPU tensors only (a CUDA tensor is
 * an RC_ERROR that says so). Included by regionclip.h; not meant to be included alone.
 *
 * Boxes are XYXY; IoU uses widths x2 - x1 (no +1). Bad arguments (shapes, dtypes, batch indices,
 * non-finite values where they are refused) are RC_ERRORs naming the argument and its shape. */

/* torchvision.ops.roi_align. input [N, C, H, W] float32/float64; rois [K, 5] (batch_index, x1, y1,
 * x2, y2) of the same dtype, coordinates in input pixels / spatial_scale; out [K, C, out_h, out_w].
 * sampling_ratio <= 0: adaptive, ceil(roi_size / out_size) samples per bin and axis. aligned != 0
 * shifts coordinates by -0.5 (RoIAlignV2). Batch indices must be integers in [0, N); coordinates
 * must be finite. When autograd is recording and input requires grad, out has a grad_fn whose
 * backward scatters the gradient into input (rois get no gradient). */
int32_t rc_vision_roi_align(rc_tensor input, rc_tensor rois, int64_t out_h, int64_t out_w, double spatial_scale,
                            int64_t sampling_ratio, int32_t aligned, rc_tensor* out);

/* Hard NMS (torchvision.ops.nms; with idxs, batched_nms: boxes of different idxs never suppress each
 * other). boxes [K, 4] and scores [K] of one floating dtype, idxs [K] integer or NULL. keep: int64
 * indices of the kept boxes by decreasing score (stable sort: ties keep index order; NaN scores sort
 * first, as torch.sort). A box is removed when its IoU with a kept box is > iou_threshold. */
int32_t rc_vision_nms(rc_tensor boxes, rc_tensor scores, rc_tensor idxs, double iou_threshold, rc_tensor* keep);

/* Gaussian soft-NMS per category (detectron2's batched_soft_nms): repeatedly take the highest current
 * score, record it, multiply every other score of its category by exp(-IoU^2 / sigma) and drop those
 * <= score_threshold. idxs may be NULL (one category). keep: int64 indices in selection order;
 * kept_scores: their scores when selected (scores' dtype). Scores must be finite. */
int32_t rc_vision_soft_nms(rc_tensor boxes, rc_tensor scores, rc_tensor idxs, double sigma, double score_threshold,
                           rc_tensor* keep, rc_tensor* kept_scores);
