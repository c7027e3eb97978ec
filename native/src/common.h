// Shared plumbing of the shim: handle wrapping, error capture, scalars.
// No C++ exception may cross the C boundary: every export runs its body inside rc::guard.
#pragma once
#include <ATen/ATen.h>
#include <atomic>
#include <string>
#include <vector>
#include "regionclip.h"

#define RC_API extern "C" __attribute__((visibility("default")))

namespace rc {

void set_error(const std::string& message);
extern std::atomic<int64_t> live_tensors;

template <class F>
int32_t guard(const char* op, F&& body) {
  try {
    body();
    return RC_OK;
  } catch (const c10::Error& e) {
    set_error(std::string(op) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(std::string(op) + ": " + e.what());
  } catch (...) {
    set_error(std::string(op) + ": unknown native error");
  }
  return RC_ERROR;
}

inline at::Tensor& T(rc_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return *reinterpret_cast<at::Tensor*>(h);
}

inline rc_tensor wrap(at::Tensor t) {
  auto* p = new at::Tensor(std::move(t));
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<rc_tensor>(p);
}

inline at::Scalar S(rc_scalar s) {
  switch (s.kind) {
    case RC_SCALAR_INT: return at::Scalar(static_cast<int64_t>(s.i));
    case RC_SCALAR_BOOL: return at::Scalar(s.i != 0);
    default: return at::Scalar(s.f);
  }
}

inline at::IntArrayRef dims(const int64_t* p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline std::vector<at::Tensor> tensors(const rc_tensor* hs, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(T(hs[i]));
  return v;
}

inline c10::optional<at::Tensor> opt(rc_tensor h) {
  if (h == nullptr) return c10::nullopt;
  return T(h);
}

at::ScalarType dtype_of(int32_t code);
int32_t code_of(at::ScalarType t);
at::Device device_of(int32_t type, int32_t index);

// Variable-length tensor outputs travel as an owned std::vector behind rc_tensor_list.
rc_tensor_list wrap_list(std::vector<at::Tensor> v);

}  // namespace rc
