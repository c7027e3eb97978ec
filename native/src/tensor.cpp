// Tensor lifetime, metadata, data transfer, creation and conversion.
#include "common.h"
#include <cstring>

using namespace rc;

namespace {
at::TensorOptions options(int32_t dtype, int32_t dev_type, int32_t dev_index) {
  return at::TensorOptions().dtype(dtype_of(dtype)).device(device_of(dev_type, dev_index));
}
at::Generator* gen_of(rc_generator g) { return reinterpret_cast<at::Generator*>(g); }
c10::optional<at::Generator> opt_gen(rc_generator g) {
  if (g == nullptr) return c10::nullopt;
  return *gen_of(g);
}
}  // namespace

RC_API void rc_tensor_free(rc_tensor h) {
  if (h == nullptr) return;
  delete reinterpret_cast<at::Tensor*>(h);
  live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

RC_API int32_t rc_tensor_alias(rc_tensor a, rc_tensor* out) {
  return guard("alias", [&] { *out = wrap(T(a)); });
}

// ---- metadata -------------------------------------------------------------------------------

RC_API int32_t rc_tensor_ndim(rc_tensor a, int64_t* out) { return guard("dim", [&] { *out = T(a).dim(); }); }

RC_API int32_t rc_tensor_shape(rc_tensor a, int64_t* out, int64_t capacity) {
  return guard("shape", [&] {
    auto s = T(a).sizes();
    if (static_cast<int64_t>(s.size()) > capacity) throw std::invalid_argument("shape buffer too small");
    for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
  });
}

RC_API int32_t rc_tensor_strides(rc_tensor a, int64_t* out, int64_t capacity) {
  return guard("stride", [&] {
    auto s = T(a).strides();
    if (static_cast<int64_t>(s.size()) > capacity) throw std::invalid_argument("stride buffer too small");
    for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
  });
}

RC_API int32_t rc_tensor_dtype(rc_tensor a, int32_t* out) { return guard("dtype", [&] { *out = code_of(T(a).scalar_type()); }); }

RC_API int32_t rc_tensor_device(rc_tensor a, int32_t* type, int32_t* index) {
  return guard("device", [&] {
    auto d = T(a).device();
    *type = d.is_cuda() ? RC_DEVICE_CUDA : RC_DEVICE_CPU;
    *index = d.has_index() ? d.index() : -1;
  });
}

RC_API int32_t rc_tensor_numel(rc_tensor a, int64_t* out) { return guard("numel", [&] { *out = T(a).numel(); }); }

RC_API int32_t rc_tensor_is_contiguous(rc_tensor a, int32_t* out) { return guard("is_contiguous", [&] { *out = T(a).is_contiguous(); }); }

RC_API int32_t rc_tensor_defined(rc_tensor a, int32_t* out) { return guard("defined", [&] { *out = T(a).defined(); }); }

// ---- data transfer --------------------------------------------------------------------------

RC_API int32_t rc_tensor_from_data(const void* data, int32_t dtype, const int64_t* shape, int64_t ndim, rc_tensor* out) {
  return guard("from_data", [&] {
    auto t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(dtype_of(dtype)));
    if (t.nbytes() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
    *out = wrap(std::move(t));
  });
}

RC_API int32_t rc_tensor_copy_to_buffer(rc_tensor a, void* dst, int64_t nbytes) {
  return guard("copy_to_buffer", [&] {
    auto t = T(a).detach().to(at::kCPU).contiguous();
    if (static_cast<int64_t>(t.nbytes()) != nbytes)
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes, tensor needs " + std::to_string(t.nbytes()));
    if (nbytes > 0) std::memcpy(dst, t.data_ptr(), static_cast<size_t>(nbytes));
  });
}

RC_API int32_t rc_tensor_copy_from_buffer(rc_tensor a, const void* src, int64_t nbytes) {
  return guard("copy_from_buffer", [&] {
    auto& t = T(a);
    if (static_cast<int64_t>(t.nbytes()) != nbytes)
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes, tensor needs " + std::to_string(t.nbytes()));
    auto tmp = at::empty(t.sizes(), t.options().device(at::kCPU));
    if (nbytes > 0) std::memcpy(tmp.data_ptr(), src, static_cast<size_t>(nbytes));
    at::NoGradGuard no_grad;
    t.copy_(tmp);
  });
}

RC_API int32_t rc_tensor_data_ptr(rc_tensor a, void** out) {
  return guard("data_ptr", [&] {
    auto& t = T(a);
    if (!t.is_cpu() || !t.is_contiguous()) throw std::invalid_argument("data_ptr needs a contiguous CPU tensor");
    *out = t.data_ptr();
  });
}

RC_API int32_t rc_tensor_item(rc_tensor a, double* f, int64_t* i) {
  return guard("item", [&] {
    auto s = T(a).item();
    if (s.isFloatingPoint()) { *f = s.toDouble(); *i = static_cast<int64_t>(*f); }
    else if (s.isBoolean()) { *i = s.toBool(); *f = static_cast<double>(*i); }
    else { *i = s.toLong(); *f = static_cast<double>(*i); }
  });
}

// ---- creation -------------------------------------------------------------------------------

RC_API int32_t rc_tensor_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("empty", [&] { *out = wrap(at::empty(dims(shape, ndim), options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_full(const int64_t* shape, int64_t ndim, rc_scalar value, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("full", [&] { *out = wrap(at::full(dims(shape, ndim), S(value), options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_arange(rc_scalar start, rc_scalar end, rc_scalar step, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("arange", [&] { *out = wrap(at::arange(S(start), S(end), S(step), options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("linspace", [&] { *out = wrap(at::linspace(start, end, steps, options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_eye(int64_t n, int64_t m, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("eye", [&] { *out = wrap(at::eye(n, m, options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_like(rc_tensor a, int32_t kind, rc_scalar value, rc_tensor* out) {
  return guard("like", [&] {
    switch (kind) {
      case 0: *out = wrap(at::empty_like(T(a))); break;
      case 1: *out = wrap(at::full_like(T(a), S(value))); break;
      default: throw std::invalid_argument("unknown *_like kind");
    }
  });
}

// ---- random ---------------------------------------------------------------------------------

RC_API int32_t rc_generator_new(uint64_t seed, rc_generator* out) {
  return guard("generator", [&] {
    auto* g = new at::Generator(at::detail::createCPUGenerator(seed));
    *out = reinterpret_cast<rc_generator>(g);
  });
}

RC_API void rc_generator_free(rc_generator g) { delete gen_of(g); }

RC_API int32_t rc_generator_get_state(rc_generator g, rc_tensor* out) {
  return guard("generator_get_state", [&] { *out = wrap(gen_of(g)->get_state()); });
}

RC_API int32_t rc_generator_set_state(rc_generator g, rc_tensor state) {
  return guard("generator_set_state", [&] { gen_of(g)->set_state(T(state)); });
}

RC_API int32_t rc_tensor_rand(const int64_t* shape, int64_t ndim, int32_t kind, rc_generator g, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("rand", [&] {
    auto o = options(dtype, dt, di);
    *out = wrap(kind == 0 ? at::rand(dims(shape, ndim), opt_gen(g), o) : at::randn(dims(shape, ndim), opt_gen(g), o));
  });
}

RC_API int32_t rc_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, rc_generator g, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("randint", [&] { *out = wrap(at::randint(low, high, dims(shape, ndim), opt_gen(g), options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_randperm(int64_t n, rc_generator g, int32_t dtype, int32_t dt, int32_t di, rc_tensor* out) {
  return guard("randperm", [&] { *out = wrap(at::randperm(n, opt_gen(g), options(dtype, dt, di))); });
}

RC_API int32_t rc_tensor_uniform_(rc_tensor a, double from, double to, rc_generator g) {
  return guard("uniform_", [&] { at::NoGradGuard ng; T(a).uniform_(from, to, opt_gen(g)); });
}

RC_API int32_t rc_tensor_normal_(rc_tensor a, double mean, double std, rc_generator g) {
  return guard("normal_", [&] { at::NoGradGuard ng; T(a).normal_(mean, std, opt_gen(g)); });
}

RC_API int32_t rc_tensor_bernoulli(rc_tensor a, rc_generator g, rc_tensor* out) {
  return guard("bernoulli", [&] { *out = wrap(at::bernoulli(T(a), opt_gen(g))); });
}

RC_API int32_t rc_tensor_multinomial(rc_tensor a, int64_t n, int32_t replacement, rc_generator g, rc_tensor* out) {
  return guard("multinomial", [&] { *out = wrap(at::multinomial(T(a), n, replacement != 0, opt_gen(g))); });
}

RC_API int32_t rc_tensor_dropout(rc_tensor a, double p, int32_t train, rc_tensor* out) {
  return guard("dropout", [&] { *out = wrap(at::dropout(T(a), p, train != 0)); });
}

// ---- conversion -----------------------------------------------------------------------------

RC_API int32_t rc_tensor_to(rc_tensor a, int32_t dtype, int32_t dt, int32_t di, int32_t copy, rc_tensor* out) {
  return guard("to", [&] {
    *out = wrap(T(a).to(device_of(dt, di), dtype_of(dtype), /*non_blocking=*/false, copy != 0));
  });
}

RC_API int32_t rc_tensor_contiguous(rc_tensor a, rc_tensor* out) { return guard("contiguous", [&] { *out = wrap(T(a).contiguous()); }); }
RC_API int32_t rc_tensor_clone(rc_tensor a, rc_tensor* out) { return guard("clone", [&] { *out = wrap(T(a).clone()); }); }
RC_API int32_t rc_tensor_detach(rc_tensor a, rc_tensor* out) { return guard("detach", [&] { *out = wrap(T(a).detach()); }); }

RC_API int32_t rc_tensor_copy_(rc_tensor dst, rc_tensor src) { return guard("copy_", [&] { T(dst).copy_(T(src)); }); }

RC_API int32_t rc_tensor_fill_(rc_tensor a, rc_scalar v) { return guard("fill_", [&] { T(a).fill_(S(v)); }); }

RC_API int32_t rc_tensor_zero_(rc_tensor a) { return guard("zero_", [&] { T(a).zero_(); }); }

// Swaps the storage behind a tensor (PyTorch's `param.data = x`), keeping its identity.
RC_API int32_t rc_tensor_set_data(rc_tensor a, rc_tensor src) { return guard("set_data", [&] { T(a).set_data(T(src)); }); }

RC_API int32_t rc_tensor_to_string(rc_tensor a, char* buf, int64_t capacity, int64_t* needed) {
  return guard("to_string", [&] {
    std::ostringstream os;
    os << T(a);
    auto s = os.str();
    *needed = static_cast<int64_t>(s.size()) + 1;
    if (capacity >= *needed) std::memcpy(buf, s.c_str(), s.size() + 1);
  });
}
