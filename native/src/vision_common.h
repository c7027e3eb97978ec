// Argument checks shared by the detection kernels (roi_align.cpp, nms.cpp): every message names the
// argument, its shape and dtype, as PyTorch prints them.
#pragma once
#include "common.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace rc::vision {

inline std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

inline std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return c10::toString(t);
  }
}

// A value as Python prints it: "nan" whatever the NaN's sign bit, "inf", "0.5" (not "0.500000").
inline std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

inline std::string describe(const at::Tensor& t) { return dtype_name(t.scalar_type()) + shape_of(t); }

[[noreturn]] inline void fail(const std::string& message) { throw std::invalid_argument(message); }

// The kernels are CPU code; a CUDA tensor is refused with the device named instead of being read.
inline void require_cpu(const char* name, const at::Tensor& t) {
  if (!t.defined()) fail(std::string(name) + " is missing (null tensor)");
  if (!t.device().is_cpu())
    fail(std::string(name) + " is on " + t.device().str() + "; these kernels run on CPU only (move it with .cpu())");
}

inline void require_float(const char* name, const at::Tensor& t) {
  if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kDouble)
    fail(std::string(name) + " must be float32 or float64; got " + describe(t));
}

}  // namespace rc::vision
