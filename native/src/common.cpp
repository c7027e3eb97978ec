// Error capture, live-tensor accounting, dtype/device codes and runtime settings.
#include "common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/Parallel.h>
#include <torch/version.h>
#include <mutex>

namespace rc {

static thread_local std::string last_error;
std::atomic<int64_t> live_tensors{0};

void set_error(const std::string& message) { last_error = message; }

at::ScalarType dtype_of(int32_t code) {
  switch (code) {
    case RC_UINT8: return at::kByte;
    case RC_INT8: return at::kChar;
    case RC_INT16: return at::kShort;
    case RC_INT32: return at::kInt;
    case RC_INT64: return at::kLong;
    case RC_FLOAT16: return at::kHalf;
    case RC_FLOAT32: return at::kFloat;
    case RC_FLOAT64: return at::kDouble;
    case RC_BOOL: return at::kBool;
    case RC_BFLOAT16: return at::kBFloat16;
    default: throw std::invalid_argument("unknown dtype code " + std::to_string(code));
  }
}

int32_t code_of(at::ScalarType t) {
  switch (t) {
    case at::kByte: return RC_UINT8;
    case at::kChar: return RC_INT8;
    case at::kShort: return RC_INT16;
    case at::kInt: return RC_INT32;
    case at::kLong: return RC_INT64;
    case at::kHalf: return RC_FLOAT16;
    case at::kFloat: return RC_FLOAT32;
    case at::kDouble: return RC_FLOAT64;
    case at::kBool: return RC_BOOL;
    case at::kBFloat16: return RC_BFLOAT16;
    default: throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(t));
  }
}

at::Device device_of(int32_t type, int32_t index) {
  switch (type) {
    case RC_DEVICE_CPU: return at::Device(at::kCPU);
    case RC_DEVICE_CUDA: return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
    default: throw std::invalid_argument("unknown device type " + std::to_string(type));
  }
}

rc_tensor_list wrap_list(std::vector<at::Tensor> v) {
  return reinterpret_cast<rc_tensor_list>(new std::vector<at::Tensor>(std::move(v)));
}

}  // namespace rc

using namespace rc;

RC_API const char* rc_last_error(void) { return last_error.c_str(); }

RC_API int64_t rc_live_tensors(void) { return live_tensors.load(); }

RC_API const char* rc_torch_version(void) { return TORCH_VERSION; }

RC_API int32_t rc_set_num_threads(int32_t n) {
  return guard("set_num_threads", [&] {
    if (n < 1) throw std::invalid_argument("thread count must be >= 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

RC_API int32_t rc_get_num_threads(void) { return at::get_num_threads(); }

RC_API int32_t rc_cuda_device_count(void) {
  try {
    return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
  } catch (...) {
    return 0;
  }
}

RC_API int32_t rc_manual_seed(uint64_t seed) {
  return guard("manual_seed", [&] {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  });
}

RC_API int32_t rc_tensor_list_len(rc_tensor_list l, int64_t* out) {
  return guard("tensor_list_len", [&] { *out = static_cast<int64_t>(reinterpret_cast<std::vector<at::Tensor>*>(l)->size()); });
}

RC_API int32_t rc_tensor_list_get(rc_tensor_list l, int64_t i, rc_tensor* out) {
  return guard("tensor_list_get", [&] { *out = wrap(reinterpret_cast<std::vector<at::Tensor>*>(l)->at(static_cast<size_t>(i))); });
}

RC_API void rc_tensor_list_free(rc_tensor_list l) { delete reinterpret_cast<std::vector<at::Tensor>*>(l); }
