// RoIAlign with torchvision's semantics (CPU, float32/float64): forward, backward, and the autograd
// Function that connects them.
//
// The bilinear sampling of RoIAlign is separable: a sample (y, x) weighs its four neighbours by
// hy*hx, hy*lx, ly*hx, ly*lx, and it is dropped when y or x alone falls outside the map. So each RoI
// reduces to two small tables, built once and shared by every channel:
//   x taps: for each output column pw, the feature columns its x samples touch and their summed weights;
//   y taps: for each output row ph, the feature rows its y samples touch and their summed weights.
// A channel then costs one horizontal pass over the rows the RoI touches and one vertical pass:
//   out[ph, pw] = (sum_r wy[ph, r] * sum_c wx[pw, c] * in[r, c]) / count
// which is torchvision's sum over samples regrouped (same terms, other summation order). Neighbours
// with weight zero stay in the tables, so a NaN in the map reaches exactly the bins it reaches in
// torchvision's sample-by-sample loop.
#include "vision_common.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

using namespace rc;
using namespace rc::vision;

namespace {

struct RoiAlignOptions {
  int64_t out_h = 0, out_w = 0;
  double spatial_scale = 1.0;
  int64_t sampling_ratio = -1;
  bool aligned = false;
};

// More samples per bin and axis than this means a box far larger than any feature map; refusing it
// keeps the sample grid's int arithmetic well defined and the call from running for minutes.
constexpr double kMaxSamplesPerBin = double(1 << 20);

// Bin i of one axis owns entries [begin[i], begin[i + 1]) of (line, weight).
template <typename T>
struct AxisTaps {
  std::vector<int32_t> begin{0};
  std::vector<int32_t> line;
  std::vector<T> weight;
};

template <typename T>
struct RoiTable {
  int64_t batch = 0;
  T count = 1;                // torchvision's divisor: max(grid_h * grid_w, 1)
  AxisTaps<T> x;              // line = feature column
  AxisTaps<T> y;              // line = slot in `rows`
  std::vector<int32_t> rows;  // the distinct feature rows the y taps touch, ascending
};

// torchvision's bilinear_interpolate along one axis: the two neighbours of coordinate v with weights
// 1 - l and l, or nothing when v lies outside [-1, size].
template <typename T>
void add_neighbours(T v, int64_t size, std::vector<std::pair<int32_t, T>>& taps) {
  if (v < -1.0 || v > static_cast<T>(size)) return;
  if (v <= 0) v = 0;
  int64_t low = static_cast<int64_t>(v);
  int64_t high;
  if (low >= size - 1) {
    high = low = size - 1;
    v = static_cast<T>(low);
  } else {
    high = low + 1;
  }
  const T l = v - static_cast<T>(low);
  const T h = 1. - l;
  taps.emplace_back(static_cast<int32_t>(low), h);
  taps.emplace_back(static_cast<int32_t>(high), l);
}

// Sample positions exactly as torchvision computes them (same operations, same precision T).
template <typename T>
AxisTaps<T> axis_taps(T start, T bin, int64_t bins, int64_t grid, int64_t size) {
  AxisTaps<T> a;
  std::vector<std::pair<int32_t, T>> taps;
  for (int64_t p = 0; p < bins; ++p) {
    taps.clear();
    for (int64_t i = 0; i < grid; ++i) {
      const T v = start + static_cast<T>(p) * bin + static_cast<T>(i + .5f) * bin / static_cast<T>(grid);
      add_neighbours(v, size, taps);
    }
    std::sort(taps.begin(), taps.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
    const size_t first = a.line.size();
    for (const auto& [line, w] : taps) {
      if (a.line.size() > first && a.line.back() == line) {
        a.weight.back() += w;
      } else {
        a.line.push_back(line);
        a.weight.push_back(w);
      }
    }
    a.begin.push_back(static_cast<int32_t>(a.line.size()));
  }
  return a;
}

template <typename T>
int64_t grid_size(T roi_size, int64_t bins, int64_t sampling_ratio, int64_t k, const char* axis) {
  if (sampling_ratio > 0) return sampling_ratio;
  const T g = std::ceil(roi_size / static_cast<T>(bins));
  if (double(g) > kMaxSamplesPerBin)
    fail("rois[" + std::to_string(k) + "] is " + number(double(roi_size)) + " feature pixels " + axis +
         "; adaptive sampling would take more than 2^20 samples per bin");
  return static_cast<int64_t>(g);
}

template <typename T>
RoiTable<T> roi_table(const T* roi, int64_t k, int64_t n, int64_t height, int64_t width, const RoiAlignOptions& o) {
  for (int i = 0; i < 5; ++i)
    if (!std::isfinite(double(roi[i])))
      fail("rois[" + std::to_string(k) + ", " + std::to_string(i) + "] is " + number(double(roi[i])) + "; box values must be finite");
  const double b = double(roi[0]);
  if (b != std::floor(b) || b < 0 || b >= double(n))
    fail("rois[" + std::to_string(k) + ", 0] = " + std::to_string(b) + " is not a batch index of input (N = " + std::to_string(n) + ")");
  RoiTable<T> t;
  t.batch = static_cast<int64_t>(b);
  const T offset = o.aligned ? T(0.5) : T(0);
  const T scale = static_cast<T>(o.spatial_scale);
  const T start_w = roi[1] * scale - offset;
  const T start_h = roi[2] * scale - offset;
  const T end_w = roi[3] * scale - offset;
  const T end_h = roi[4] * scale - offset;
  T roi_w = end_w - start_w;
  T roi_h = end_h - start_h;
  if (!o.aligned) {  // legacy RoIAlign forces boxes to at least 1x1
    roi_w = std::max(roi_w, T(1));
    roi_h = std::max(roi_h, T(1));
  }
  const T bin_h = roi_h / static_cast<T>(o.out_h);
  const T bin_w = roi_w / static_cast<T>(o.out_w);
  const int64_t grid_h = grid_size(roi_h, o.out_h, o.sampling_ratio, k, "high");
  const int64_t grid_w = grid_size(roi_w, o.out_w, o.sampling_ratio, k, "wide");
  t.count = static_cast<T>(std::max<int64_t>(grid_h * grid_w, 1));
  t.x = axis_taps(start_w, bin_w, o.out_w, grid_w, width);
  t.y = axis_taps(start_h, bin_h, o.out_h, grid_h, height);
  t.rows.assign(t.y.line.begin(), t.y.line.end());
  std::sort(t.rows.begin(), t.rows.end());
  t.rows.erase(std::unique(t.rows.begin(), t.rows.end()), t.rows.end());
  for (auto& line : t.y.line) line = static_cast<int32_t>(std::lower_bound(t.rows.begin(), t.rows.end(), line) - t.rows.begin());
  return t;
}

template <typename T>
std::vector<RoiTable<T>> roi_tables(const at::Tensor& rois, int64_t n, int64_t height, int64_t width, const RoiAlignOptions& o) {
  const int64_t k_count = rois.size(0);
  const T* r = rois.data_ptr<T>();
  std::vector<RoiTable<T>> tables;
  tables.reserve(static_cast<size_t>(k_count));
  for (int64_t k = 0; k < k_count; ++k) tables.push_back(roi_table(r + k * 5, k, n, height, width, o));
  return tables;
}

template <typename T>
size_t max_rows(const std::vector<RoiTable<T>>& tables) {
  size_t m = 0;
  for (const auto& t : tables) m = std::max(m, t.rows.size());
  return m;
}

// Forward, one item = one RoI x one block of L channels, reading a channels-last copy of the map so
// that every tap adds a contiguous run of L channels (one cache line; the compiler vectorises it).
// image: the RoI's image, [H, W, channels_padded] from the block's first channel. scratch: [rows, out_w, L]
// horizontal sums. out: the block's first [out_h, out_w] plane; only `lanes` <= L planes are written.
template <typename T, int L>
void forward_block(const T* image, int64_t width, int64_t channels_padded, const RoiTable<T>& t, int64_t out_h, int64_t out_w, int64_t lanes,
                   T* out, T* scratch) {
  const auto& x = t.x;
  for (size_t s = 0; s < t.rows.size(); ++s) {
    const T* line = image + int64_t(t.rows[s]) * width * channels_padded;
    for (int64_t pw = 0; pw < out_w; ++pw) {
      T acc[L] = {};
      for (int32_t e = x.begin[pw]; e < x.begin[pw + 1]; ++e) {
        const T w = x.weight[e];
        const T* p = line + int64_t(x.line[e]) * channels_padded;
        for (int c = 0; c < L; ++c) acc[c] += w * p[c];
      }
      std::copy(acc, acc + L, scratch + (int64_t(s) * out_w + pw) * L);
    }
  }
  const auto& y = t.y;
  const int64_t bins = out_h * out_w;
  for (int64_t ph = 0; ph < out_h; ++ph)
    for (int64_t pw = 0; pw < out_w; ++pw) {
      T v[L] = {};
      for (int32_t e = y.begin[ph]; e < y.begin[ph + 1]; ++e) {
        const T w = y.weight[e];
        const T* q = scratch + (int64_t(y.line[e]) * out_w + pw) * L;
        for (int c = 0; c < L; ++c) v[c] += w * q[c];
      }
      T* o = out + ph * out_w + pw;
      for (int64_t c = 0; c < lanes; ++c) o[c * bins] = v[c] / t.count;
    }
}

// The transpose of the forward for one RoI of one channel: adds its gradient into the [H, W] plane.
template <typename T>
void backward_plane(const T* grad_out, const RoiTable<T>& t, int64_t width, int64_t out_h, int64_t out_w, T* plane, T* scratch) {
  std::fill(scratch, scratch + int64_t(t.rows.size()) * out_w, T(0));
  const auto& y = t.y;
  for (int64_t ph = 0; ph < out_h; ++ph) {
    const T* g = grad_out + ph * out_w;
    for (int32_t e = y.begin[ph]; e < y.begin[ph + 1]; ++e) {
      const T w = y.weight[e] / t.count;
      T* sums = scratch + int64_t(y.line[e]) * out_w;
      for (int64_t pw = 0; pw < out_w; ++pw) sums[pw] += w * g[pw];
    }
  }
  const auto& x = t.x;
  for (size_t s = 0; s < t.rows.size(); ++s) {
    T* line = plane + int64_t(t.rows[s]) * width;
    const T* sums = scratch + int64_t(s) * out_w;
    for (int64_t pw = 0; pw < out_w; ++pw) {
      const T g = sums[pw];
      for (int32_t e = x.begin[pw]; e < x.begin[pw + 1]; ++e) line[x.line[e]] += x.weight[e] * g;
    }
  }
}

// A region-feature batch is large (300 RoIs x 1024 channels x 14 x 14 floats = 240 MB) and freshly
// mapped, so first-touch page faults cost as much as the arithmetic. Asking Linux for transparent huge
// pages on the untouched buffer cuts them 512-fold; it is only a hint (ignored where THP is off).
void prefer_huge_pages(const at::Tensor& t) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(t.data_ptr());
  const uintptr_t end = begin + uintptr_t(t.nbytes());
  const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = end & ~(kHuge - 1);
  if (last >= first + 2 * kHuge) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

// [N, C, H, W] -> [N, H, W, C'], zero-padded: C' is C rounded up to a multiple of L, so every block is
// whole, plus one more block when the pixel stride would be a multiple of 4 KiB (1024 channels):
// such a stride maps every pixel of a block to the same L1 cache set.
template <typename T, int L>
at::Tensor channels_last_padded(const at::Tensor& x) {
  const int64_t channels = x.size(1);
  int64_t padded = (channels + L - 1) / L * L;
  if ((padded * int64_t(sizeof(T))) % 4096 == 0) padded += L;
  const at::Tensor nhwc = x.permute({0, 2, 3, 1});
  if (padded == channels) return nhwc.contiguous();
  at::Tensor out = at::zeros({x.size(0), x.size(2), x.size(3), padded}, x.options());
  out.narrow(3, 0, channels).copy_(nhwc);
  return out;
}

template <typename T>
at::Tensor forward_kernel(const at::Tensor& input, const at::Tensor& rois, const RoiAlignOptions& o) {
  constexpr int L = 64 / sizeof(T);  // one cache line of channels
  const at::Tensor r = rois.contiguous();
  const int64_t n = input.size(0), channels = input.size(1), height = input.size(2), width = input.size(3), k_count = r.size(0);
  at::Tensor out = at::empty({k_count, channels, o.out_h, o.out_w}, input.options());
  if (k_count == 0 || channels == 0) return out;
  prefer_huge_pages(out);
  const auto tables = roi_tables<T>(r, n, height, width, o);
  const at::Tensor x = channels_last_padded<T, L>(input);
  const int64_t padded = x.size(3), blocks = padded / L;
  const size_t scratch_size = max_rows(tables) * size_t(o.out_w) * L;
  const T* in = x.data_ptr<T>();
  T* dst = out.data_ptr<T>();
  const int64_t image_size = height * width * padded, bins = o.out_h * o.out_w;
  // Block-major: one block of the whole map (H * W cache lines) stays in cache across all RoIs.
  at::parallel_for(0, k_count * blocks, 4, [&](int64_t begin, int64_t end) {
    std::vector<T> scratch(scratch_size);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t k = i % k_count, c0 = (i / k_count) * L;
      const auto& t = tables[size_t(k)];
      forward_block<T, L>(in + t.batch * image_size + c0, width, padded, t, o.out_h, o.out_w, std::min<int64_t>(L, channels - c0),
                          dst + (k * channels + c0) * bins, scratch.data());
    }
  });
  return out;
}

template <typename T>
at::Tensor backward_kernel(const at::Tensor& grad, const at::Tensor& rois, at::IntArrayRef input_shape, const RoiAlignOptions& o) {
  const at::Tensor g = grad.contiguous();
  const at::Tensor r = rois.contiguous();
  const int64_t n = input_shape[0], channels = input_shape[1], height = input_shape[2], width = input_shape[3];
  const int64_t k_count = r.size(0);
  at::Tensor grad_input = at::zeros(input_shape, g.options());
  if (k_count == 0 || channels == 0) return grad_input;
  const auto tables = roi_tables<T>(r, n, height, width, o);
  std::vector<std::vector<int64_t>> rois_of_image(static_cast<size_t>(n));
  for (int64_t k = 0; k < k_count; ++k) rois_of_image[size_t(tables[size_t(k)].batch)].push_back(k);
  const size_t scratch_size = max_rows(tables) * size_t(o.out_w);
  const T* go = g.data_ptr<T>();
  T* gi = grad_input.data_ptr<T>();
  const int64_t plane = height * width, bins = o.out_h * o.out_w;
  // One thread owns each (image, channel) plane and adds every RoI of that image into it: no races.
  at::parallel_for(0, n * channels, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> scratch(scratch_size);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t image = i / channels, c = i % channels;
      for (const int64_t k : rois_of_image[size_t(image)])
        backward_plane(go + (k * channels + c) * bins, tables[size_t(k)], width, o.out_h, o.out_w, gi + i * plane, scratch.data());
    }
  });
  return grad_input;
}

at::Tensor roi_align_forward(const at::Tensor& input, const at::Tensor& rois, const RoiAlignOptions& o) {
  return input.scalar_type() == at::kDouble ? forward_kernel<double>(input, rois, o) : forward_kernel<float>(input, rois, o);
}

at::Tensor roi_align_backward(const at::Tensor& grad, const at::Tensor& rois, at::IntArrayRef input_shape, const RoiAlignOptions& o) {
  if (grad.dim() != 4 || grad.size(0) != rois.size(0) || grad.size(1) != input_shape[1] || grad.size(2) != o.out_h || grad.size(3) != o.out_w)
    fail("roi_align backward: grad_output " + shape_of(grad) + " does not match the forward output");
  const at::Tensor g = grad.scalar_type() == rois.scalar_type() ? grad : grad.to(rois.scalar_type());
  return rois.scalar_type() == at::kDouble ? backward_kernel<double>(g, rois, input_shape, o) : backward_kernel<float>(g, rois, input_shape, o);
}

class RoiAlignFunction : public torch::autograd::Function<RoiAlignFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& rois, RoiAlignOptions o) {
    ctx->save_for_backward({rois});
    ctx->saved_data["shape"] = c10::List<int64_t>(input.sizes().vec());
    ctx->saved_data["out_h"] = o.out_h;
    ctx->saved_data["out_w"] = o.out_w;
    ctx->saved_data["spatial_scale"] = o.spatial_scale;
    ctx->saved_data["sampling_ratio"] = o.sampling_ratio;
    ctx->saved_data["aligned"] = o.aligned;
    return roi_align_forward(input, rois, o);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor rois = ctx->get_saved_variables()[0];
    RoiAlignOptions o;
    o.out_h = ctx->saved_data["out_h"].toInt();
    o.out_w = ctx->saved_data["out_w"].toInt();
    o.spatial_scale = ctx->saved_data["spatial_scale"].toDouble();
    o.sampling_ratio = ctx->saved_data["sampling_ratio"].toInt();
    o.aligned = ctx->saved_data["aligned"].toBool();
    const auto shape = ctx->saved_data["shape"].toIntVector();
    // One gradient per forward argument: input, rois (none, as torchvision), options (none).
    return {roi_align_backward(grads[0], rois, shape, o), at::Tensor(), at::Tensor()};
  }
};

void check_arguments(const at::Tensor& input, const at::Tensor& rois, const RoiAlignOptions& o) {
  require_cpu("input", input);
  require_cpu("rois", rois);
  if (input.dim() != 4) fail("input must be [N, C, H, W]; got " + describe(input));
  require_float("input", input);
  if (rois.dim() != 2 || rois.size(1) != 5) fail("rois must be [K, 5] (batch_index, x1, y1, x2, y2); got " + describe(rois));
  if (rois.scalar_type() != input.scalar_type())
    fail("rois must have the dtype of input (" + dtype_name(input.scalar_type()) + "); got " + describe(rois));
  if (o.out_h < 1 || o.out_w < 1)
    fail("output_size must be positive; got (" + std::to_string(o.out_h) + ", " + std::to_string(o.out_w) + ")");
  if (!std::isfinite(o.spatial_scale) || o.spatial_scale <= 0)
    fail("spatial_scale must be a positive finite number; got " + number(o.spatial_scale));
  if (o.sampling_ratio > kMaxSamplesPerBin) fail("sampling_ratio " + std::to_string(o.sampling_ratio) + " is too large");
  if (rois.size(0) > 0 && (input.size(2) < 1 || input.size(3) < 1)) fail("input has an empty feature map: " + describe(input));
}

}  // namespace

RC_API int32_t rc_vision_roi_align(rc_tensor input, rc_tensor rois, int64_t out_h, int64_t out_w, double spatial_scale,
                                   int64_t sampling_ratio, int32_t aligned, rc_tensor* out) {
  return guard("roi_align", [&] {
    const at::Tensor& x = T(input);
    const at::Tensor& r = T(rois);
    RoiAlignOptions o;
    o.out_h = out_h;
    o.out_w = out_w;
    o.spatial_scale = spatial_scale;
    o.sampling_ratio = sampling_ratio;
    o.aligned = aligned != 0;
    check_arguments(x, r, o);
    // Build a graph only when a gradient can flow; inference calls skip the autograd machinery.
    const bool record = at::GradMode::is_enabled() && x.requires_grad();
    *out = wrap(record ? RoiAlignFunction::apply(x, r, o) : roi_align_forward(x, r, o));
  });
}
