// Autograd: requires_grad, backward, .grad, and the grad-mode / inference-mode switches.
#include "common.h"
#include <c10/core/InferenceMode.h>

using namespace rc;

RC_API int32_t rc_tensor_requires_grad(rc_tensor a, int32_t* out) { return guard("requires_grad", [&] { *out = T(a).requires_grad(); }); }
RC_API int32_t rc_tensor_set_requires_grad(rc_tensor a, int32_t v) { return guard("requires_grad_", [&] { T(a).set_requires_grad(v != 0); }); }
RC_API int32_t rc_tensor_is_leaf(rc_tensor a, int32_t* out) { return guard("is_leaf", [&] { *out = T(a).is_leaf(); }); }
RC_API int32_t rc_tensor_retain_grad(rc_tensor a) { return guard("retain_grad", [&] { T(a).retain_grad(); }); }

// Writes null when the tensor has no gradient yet.
RC_API int32_t rc_tensor_grad(rc_tensor a, rc_tensor* out) {
  return guard("grad", [&] {
    auto g = T(a).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  });
}

RC_API int32_t rc_tensor_set_grad(rc_tensor a, rc_tensor g) {
  return guard("set_grad", [&] { T(a).mutable_grad() = g == nullptr ? at::Tensor() : T(g); });
}

RC_API int32_t rc_tensor_backward(rc_tensor a, rc_tensor grad, int32_t retain_graph, int32_t create_graph) {
  return guard("backward", [&] {
    c10::optional<bool> retain = retain_graph ? c10::optional<bool>(true) : c10::nullopt;
    T(a).backward(grad == nullptr ? at::Tensor() : T(grad), retain, create_graph != 0);
  });
}

RC_API int32_t rc_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }
RC_API void rc_set_grad_enabled(int32_t enabled) { at::GradMode::set_enabled(enabled != 0); }

// Inference mode is an RAII guard in C++; C# holds it in a `using` scope on one thread, so
// enter/exit always pair up in LIFO order.
RC_API int32_t rc_inference_mode_enter(int32_t enabled, rc_guard* out) {
  return guard("inference_mode", [&] { *out = reinterpret_cast<rc_guard>(new c10::InferenceMode(enabled != 0)); });
}
RC_API void rc_inference_mode_exit(rc_guard g) { delete reinterpret_cast<c10::InferenceMode*>(g); }
RC_API int32_t rc_is_inference_mode(void) { return c10::InferenceMode::is_enabled() ? 1 : 0; }
RC_API int32_t rc_tensor_is_inference(rc_tensor a, int32_t* out) { return guard("is_inference", [&] { *out = T(a).is_inference(); }); }
