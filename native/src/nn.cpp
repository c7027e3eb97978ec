// Neural-network functionals: convolution, normalisation, pooling, resampling and losses.
#include "common.h"

using namespace rc;

namespace {
int64_t reduction_of(int32_t r) {
  switch (r) {
    case RC_REDUCTION_NONE: return at::Reduction::None;
    case RC_REDUCTION_MEAN: return at::Reduction::Mean;
    case RC_REDUCTION_SUM: return at::Reduction::Sum;
    default: throw std::invalid_argument("unknown reduction " + std::to_string(r));
  }
}
}  // namespace

RC_API int32_t rc_nn_conv2d(rc_tensor x, rc_tensor w, rc_tensor b, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int64_t groups, rc_tensor* out) {
  return guard("conv2d", [&] { *out = wrap(at::conv2d(T(x), T(w), opt(b), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups)); });
}

RC_API int32_t rc_nn_conv1d(rc_tensor x, rc_tensor w, rc_tensor b, int64_t stride, int64_t padding, int64_t dilation, int64_t groups, rc_tensor* out) {
  return guard("conv1d", [&] { *out = wrap(at::conv1d(T(x), T(w), opt(b), {stride}, {padding}, {dilation}, groups)); });
}

RC_API int32_t rc_nn_conv_transpose2d(rc_tensor x, rc_tensor w, rc_tensor b, const int64_t* stride, const int64_t* padding, const int64_t* output_padding, int64_t groups, const int64_t* dilation, rc_tensor* out) {
  return guard("conv_transpose2d", [&] {
    *out = wrap(at::conv_transpose2d(T(x), T(w), opt(b), dims(stride, 2), dims(padding, 2), dims(output_padding, 2), groups, dims(dilation, 2)));
  });
}

RC_API int32_t rc_nn_linear(rc_tensor x, rc_tensor w, rc_tensor b, rc_tensor* out) { return guard("linear", [&] { *out = wrap(at::linear(T(x), T(w), opt(b))); }); }

RC_API int32_t rc_nn_batch_norm(rc_tensor x, rc_tensor w, rc_tensor b, rc_tensor mean, rc_tensor var, int32_t training, double momentum, double eps, rc_tensor* out) {
  return guard("batch_norm", [&] {
    *out = wrap(at::batch_norm(T(x), opt(w), opt(b), opt(mean), opt(var), training != 0, momentum, eps, /*cudnn_enabled=*/true));
  });
}

RC_API int32_t rc_nn_layer_norm(rc_tensor x, const int64_t* shape, int64_t n, rc_tensor w, rc_tensor b, double eps, rc_tensor* out) {
  return guard("layer_norm", [&] { *out = wrap(at::layer_norm(T(x), dims(shape, n), opt(w), opt(b), eps)); });
}

RC_API int32_t rc_nn_group_norm(rc_tensor x, int64_t groups, rc_tensor w, rc_tensor b, double eps, rc_tensor* out) {
  return guard("group_norm", [&] { *out = wrap(at::group_norm(T(x), groups, opt(w), opt(b), eps)); });
}

RC_API int32_t rc_nn_max_pool2d(rc_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, const int64_t* dilation, int32_t ceil_mode, rc_tensor* out) {
  return guard("max_pool2d", [&] { *out = wrap(at::max_pool2d(T(x), dims(kernel, 2), dims(stride, 2), dims(padding, 2), dims(dilation, 2), ceil_mode != 0)); });
}

RC_API int32_t rc_nn_avg_pool2d(rc_tensor x, const int64_t* kernel, const int64_t* stride, const int64_t* padding, int32_t ceil_mode, int32_t count_include_pad, rc_tensor* out) {
  return guard("avg_pool2d", [&] { *out = wrap(at::avg_pool2d(T(x), dims(kernel, 2), dims(stride, 2), dims(padding, 2), ceil_mode != 0, count_include_pad != 0)); });
}

RC_API int32_t rc_nn_adaptive_pool2d(rc_tensor x, const int64_t* size, int32_t is_max, rc_tensor* out) {
  return guard(is_max ? "adaptive_max_pool2d" : "adaptive_avg_pool2d", [&] {
    *out = wrap(is_max ? std::get<0>(at::adaptive_max_pool2d(T(x), dims(size, 2))) : at::adaptive_avg_pool2d(T(x), dims(size, 2)));
  });
}

RC_API int32_t rc_nn_softmax(rc_tensor x, int64_t d, int32_t log, rc_tensor* out) {
  return guard(log ? "log_softmax" : "softmax", [&] { *out = wrap(log ? at::log_softmax(T(x), d) : at::softmax(T(x), d)); });
}

RC_API int32_t rc_nn_embedding(rc_tensor weight, rc_tensor idx, rc_tensor* out) { return guard("embedding", [&] { *out = wrap(at::embedding(T(weight), T(idx))); }); }

RC_API int32_t rc_nn_leaky_relu(rc_tensor x, double slope, rc_tensor* out) { return guard("leaky_relu", [&] { *out = wrap(at::leaky_relu(T(x), slope)); }); }

RC_API int32_t rc_nn_normalize(rc_tensor x, double p, int64_t d, double eps, rc_tensor* out) {
  return guard("normalize", [&] {
    // F.normalize: x / max(||x||_p, eps), broadcast along dim.
    auto denom = at::norm(T(x), p, {d}, /*keepdim=*/true).clamp_min(eps).expand_as(T(x));
    *out = wrap(T(x) / denom);
  });
}

// mode: 0 nearest, 1 bilinear, 2 bicubic; antialias follows torch.nn.functional.interpolate.
RC_API int32_t rc_nn_interpolate(rc_tensor x, int64_t out_h, int64_t out_w, int32_t mode, int32_t align_corners, int32_t antialias, rc_tensor* out) {
  return guard("interpolate", [&] {
    std::vector<int64_t> size{out_h, out_w};
    bool ac = align_corners != 0;
    switch (mode) {
      case 0: *out = wrap(at::upsample_nearest2d(T(x), size)); break;
      case 1: *out = wrap(antialias ? at::_upsample_bilinear2d_aa(T(x), size, ac) : at::upsample_bilinear2d(T(x), size, ac)); break;
      case 2: *out = wrap(antialias ? at::_upsample_bicubic2d_aa(T(x), size, ac) : at::upsample_bicubic2d(T(x), size, ac)); break;
      default: throw std::invalid_argument("unknown interpolation mode " + std::to_string(mode));
    }
  });
}

// mode: 0 bilinear, 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection.
RC_API int32_t rc_nn_grid_sample(rc_tensor x, rc_tensor grid, int32_t mode, int32_t padding, int32_t align_corners, rc_tensor* out) {
  return guard("grid_sample", [&] { *out = wrap(at::grid_sampler(T(x), T(grid), mode, padding, align_corners != 0)); });
}

// mode: 0 constant, 1 reflect, 2 replicate. pads as in F.pad (last dim first).
RC_API int32_t rc_nn_pad(rc_tensor x, const int64_t* pads, int64_t n, int32_t mode, double value, rc_tensor* out) {
  return guard("pad", [&] {
    auto p = dims(pads, n);
    switch (mode) {
      case 0: *out = wrap(at::constant_pad_nd(T(x), p, value)); break;
      case 1: *out = wrap(n == 2 ? at::reflection_pad1d(T(x), p) : at::reflection_pad2d(T(x), p)); break;
      case 2: *out = wrap(n == 2 ? at::replication_pad1d(T(x), p) : at::replication_pad2d(T(x), p)); break;
      default: throw std::invalid_argument("unknown pad mode " + std::to_string(mode));
    }
  });
}

RC_API int32_t rc_nn_cross_entropy(rc_tensor x, rc_tensor target, rc_tensor weight, int32_t reduction, int64_t ignore_index, double label_smoothing, rc_tensor* out) {
  return guard("cross_entropy", [&] {
    *out = wrap(at::cross_entropy_loss(T(x), T(target), opt(weight), reduction_of(reduction), ignore_index, label_smoothing));
  });
}

RC_API int32_t rc_nn_nll_loss(rc_tensor x, rc_tensor target, rc_tensor weight, int32_t reduction, int64_t ignore_index, rc_tensor* out) {
  return guard("nll_loss", [&] { *out = wrap(at::nll_loss_nd(T(x), T(target), opt(weight), reduction_of(reduction), ignore_index)); });
}

// F.kl_div semantics; 'batchmean' is RC_REDUCTION_BATCHMEAN (sum / batch size).
RC_API int32_t rc_nn_kl_div(rc_tensor x, rc_tensor target, int32_t reduction, int32_t log_target, rc_tensor* out) {
  return guard("kl_div", [&] {
    if (reduction == RC_REDUCTION_BATCHMEAN) {
      auto s = at::kl_div(T(x), T(target), at::Reduction::Sum, log_target != 0);
      *out = wrap(T(x).dim() == 0 ? s : s / T(x).size(0));
    } else {
      *out = wrap(at::kl_div(T(x), T(target), reduction_of(reduction), log_target != 0));
    }
  });
}

RC_API int32_t rc_nn_bce_with_logits(rc_tensor x, rc_tensor target, rc_tensor weight, rc_tensor pos_weight, int32_t reduction, rc_tensor* out) {
  return guard("binary_cross_entropy_with_logits", [&] {
    *out = wrap(at::binary_cross_entropy_with_logits(T(x), T(target), opt(weight), opt(pos_weight), reduction_of(reduction)));
  });
}

RC_API int32_t rc_nn_smooth_l1(rc_tensor x, rc_tensor target, int32_t reduction, double beta, rc_tensor* out) {
  return guard("smooth_l1_loss", [&] {
    // beta == 0 is exactly L1 (detectron2 relies on this); ATen's kernel divides by beta.
    *out = wrap(beta == 0.0 ? at::l1_loss(T(x), T(target), reduction_of(reduction)) : at::smooth_l1_loss(T(x), T(target), reduction_of(reduction), beta));
  });
}

RC_API int32_t rc_nn_l1_loss(rc_tensor x, rc_tensor target, int32_t reduction, rc_tensor* out) { return guard("l1_loss", [&] { *out = wrap(at::l1_loss(T(x), T(target), reduction_of(reduction))); }); }
RC_API int32_t rc_nn_mse_loss(rc_tensor x, rc_tensor target, int32_t reduction, rc_tensor* out) { return guard("mse_loss", [&] { *out = wrap(at::mse_loss(T(x), T(target), reduction_of(reduction))); }); }
