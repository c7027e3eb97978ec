// PIL-exact resampling of RGB uint8 images (see the comment below). Kept apart from the codecs:
// it is pure arithmetic on tensors, with no libjpeg/libpng involved.
#include "common.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace rc;

namespace {

// PIL's Image.resize for 8-bit images (Pillow's Resample.c algorithm, reimplemented): separable
// convolution, horizontal pass first, each pass rounding to uint8 through 22-bit fixed-point weights.
// Reproducing the integer arithmetic is what makes the output equal PIL's bit for bit; a float
// resampler (F.interpolate with antialias) differs by up to tens of levels after bicubic up-scaling.

constexpr int kPrecisionBits = 32 - 8 - 2;

// The weights must come from the same double operations as Pillow's: no fused multiply-add (which
// GCC would emit on FMA targets), or a rare rounding differs by one level.
#if defined(__GNUC__) && !defined(__clang__)
#define RC_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define RC_NO_FP_CONTRACT
#endif

RC_NO_FP_CONTRACT double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

RC_NO_FP_CONTRACT double bicubic_filter(double x) {
  const double a = -0.5;  // Keys' cubic as in PIL (and torch's antialiased bicubic)
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct ResampleCoefficients {
  int64_t taps = 0;
  std::vector<int64_t> first, count;  // input window of each output pixel
  std::vector<int32_t> weight;        // [out, taps], fixed point
};

RC_NO_FP_CONTRACT ResampleCoefficients resample_coefficients(int64_t in_size, int64_t out_size, int32_t filter) {
  double (*fn)(double) = filter == RC_RESAMPLE_BICUBIC ? bicubic_filter : bilinear_filter;
  double filter_support = filter == RC_RESAMPLE_BICUBIC ? 2.0 : 1.0;
  double scale = double(in_size) / double(out_size);
  double filterscale = scale < 1.0 ? 1.0 : scale;  // widen the kernel when shrinking: antialiasing
  double support = filter_support * filterscale;
  ResampleCoefficients c;
  c.taps = int64_t(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weight.assign(size_t(out_size * c.taps), 0);
  std::vector<double> k(size_t(c.taps));
  for (int64_t xx = 0; xx < out_size; ++xx) {
    double center = (double(xx) + 0.5) * scale;
    double ss = 1.0 / filterscale;
    int64_t xmin = int64_t(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int64_t xmax = int64_t(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double total = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      double w = fn((double(x + xmin) - center + 0.5) * ss);
      k[size_t(x)] = w;
      total += w;
    }
    for (int64_t x = 0; x < xmax; ++x) {
      double v = total != 0.0 ? k[size_t(x)] / total : k[size_t(x)];
      double scaled = v * double(1 << kPrecisionBits);
      c.weight[size_t(xx * c.taps + x)] = int32_t(v < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[size_t(xx)] = xmin;
    c.count[size_t(xx)] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;  // arithmetic shift: floor
  return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One pass over a contiguous [rows, cols, C] uint8 image along cols (horizontal) or rows (vertical).
at::Tensor resample_pass(const at::Tensor& in, int64_t out_size, bool horizontal, int32_t filter) {
  const int64_t rows = in.size(0), cols = in.size(1), ch = in.size(2);
  auto co = resample_coefficients(horizontal ? cols : rows, out_size, filter);
  auto out = at::empty({horizontal ? rows : out_size, horizontal ? out_size : cols, ch}, in.options());
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int64_t out_rows = out.size(0), out_cols = out.size(1);
  const int32_t half = 1 << (kPrecisionBits - 1);
  if (horizontal) {
    at::parallel_for(0, out_rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t q = 0; q < out_cols; ++q) {
          const int32_t* w = co.weight.data() + q * co.taps;
          const int64_t n = co.count[size_t(q)];
          const uint8_t* p = src + (r * cols + co.first[size_t(q)]) * ch;
          for (int64_t c = 0; c < ch; ++c) {
            int32_t acc = half;
            for (int64_t t = 0; t < n; ++t) acc += int32_t(p[t * ch + c]) * w[t];
            dst[(r * out_cols + q) * ch + c] = clip8(acc);
          }
        }
    });
  } else {
    // Whole rows at a time: each tap adds one contiguous input row, weighted, to the accumulator.
    const int64_t row_len = cols * ch;
    at::parallel_for(0, out_rows, 16, [&](int64_t r0, int64_t r1) {
      std::vector<int32_t> acc(static_cast<size_t>(row_len));
      for (int64_t r = r0; r < r1; ++r) {
        std::fill(acc.begin(), acc.end(), half);
        const int32_t* w = co.weight.data() + r * co.taps;
        const int64_t n = co.count[size_t(r)];
        for (int64_t t = 0; t < n; ++t) {
          const uint8_t* p = src + (co.first[size_t(r)] + t) * row_len;
          const int32_t wt = w[t];
          for (int64_t i = 0; i < row_len; ++i) acc[size_t(i)] += int32_t(p[i]) * wt;
        }
        uint8_t* d = dst + r * row_len;
        for (int64_t i = 0; i < row_len; ++i) d[i] = clip8(acc[size_t(i)]);
      }
    });
  }
  return out;
}

at::Tensor pil_resize(const at::Tensor& image, int64_t out_h, int64_t out_w, int32_t filter) {
  if (filter != RC_RESAMPLE_BILINEAR && filter != RC_RESAMPLE_BICUBIC)
    throw std::invalid_argument("unknown resampling filter " + std::to_string(filter));
  if (image.scalar_type() != at::kByte || image.dim() != 3)
    throw std::invalid_argument(std::string("expects a uint8 image [H, W, C]; got ") + c10::toString(image.scalar_type()) + " with " +
                                std::to_string(image.dim()) + " dims");
  if (out_h < 1 || out_w < 1 || image.size(0) < 1 || image.size(1) < 1)
    throw std::invalid_argument("sizes must be positive: " + std::to_string(image.size(0)) + "x" + std::to_string(image.size(1)) + " -> " +
                                std::to_string(out_h) + "x" + std::to_string(out_w));
  at::Tensor x = image.to(at::kCPU).contiguous();
  if (x.size(0) == out_h && x.size(1) == out_w) return x.clone();  // PIL returns a copy
  // Horizontal first (as PIL): the intermediate rounds to uint8, which the result depends on.
  if (x.size(1) != out_w) x = resample_pass(x, out_w, true, filter);
  if (x.size(0) != out_h) x = resample_pass(x, out_h, false, filter);
  return x;
}

}  // namespace

RC_API int32_t rc_image_resize(rc_tensor image, int64_t out_h, int64_t out_w, int32_t filter, rc_tensor* out) {
  return guard("image_resize", [&] { *out = wrap(pil_resize(T(image), out_h, out_w, filter)); });
}
