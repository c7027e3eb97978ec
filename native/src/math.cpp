// Element-wise math, comparisons, linear algebra and reductions.
// Uniform families (unary, binary, tensor-scalar, reductions) dispatch on an op code from
// regionclip.h so the ABI stays small; the switch costs nothing next to the op itself.
#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

using namespace rc;

namespace {

// bmm for many small products (one per region, say). ATen's CPU bmm without MKL loops over the
// batch and hands every item to BLAS, and each of those calls may open a parallel region of its
// own: thousands of tiny fork/joins, each waiting for a descheduled thread whenever other
// processes hold the cores. Here the batch is split across the intra-op threads instead and every
// item's product runs on one thread (BLAS and ATen run serially inside a parallel region). Same
// result as at::bmm; with autograd or off the CPU it is at::bmm.
at::Tensor bmm_across_batch(const at::Tensor& a, const at::Tensor& b) {
  if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0) || a.size(2) != b.size(1))
    throw std::invalid_argument("bmm expects [B, n, m] and [B, m, p], got " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()));
  if (a.scalar_type() != b.scalar_type())
    throw std::invalid_argument(std::string("bmm expects one dtype, got ") + c10::toString(a.scalar_type()) + " and " + c10::toString(b.scalar_type()));
  if (!a.device().is_cpu() || !b.device().is_cpu() || (at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())))
    return at::bmm(a, b);
  auto out = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  const at::ThreadLocalState caller;   // inference/grad mode: OpenMP workers do not inherit it
  at::parallel_for(0, a.size(0), 1, [&](int64_t begin, int64_t end) {
    at::ThreadLocalStateGuard same_mode(caller);
    for (int64_t i = begin; i < end; ++i) {
      auto item = out.select(0, i);
      at::mm_out(item, a.select(0, i), b.select(0, i));
    }
  });
  return out;
}

at::Tensor unary(int32_t op, const at::Tensor& a) {
  switch (op) {
    case RC_U_NEG: return at::neg(a);
    case RC_U_ABS: return at::abs(a);
    case RC_U_EXP: return at::exp(a);
    case RC_U_LOG: return at::log(a);
    case RC_U_LOG2: return at::log2(a);
    case RC_U_LOG1P: return at::log1p(a);
    case RC_U_EXPM1: return at::expm1(a);
    case RC_U_SQRT: return at::sqrt(a);
    case RC_U_RSQRT: return at::rsqrt(a);
    case RC_U_SIN: return at::sin(a);
    case RC_U_COS: return at::cos(a);
    case RC_U_TANH: return at::tanh(a);
    case RC_U_SIGMOID: return at::sigmoid(a);
    case RC_U_RELU: return at::relu(a);
    case RC_U_GELU: return at::gelu(a, "none");
    case RC_U_GELU_TANH: return at::gelu(a, "tanh");
    case RC_U_SILU: return at::silu(a);
    case RC_U_FLOOR: return at::floor(a);
    case RC_U_CEIL: return at::ceil(a);
    case RC_U_ROUND: return at::round(a);
    case RC_U_TRUNC: return at::trunc(a);
    case RC_U_SIGN: return at::sign(a);
    case RC_U_RECIPROCAL: return at::reciprocal(a);
    case RC_U_LOGICAL_NOT: return at::logical_not(a);
    case RC_U_SQUARE: return at::square(a);
    case RC_U_ERF: return at::erf(a);
    case RC_U_ISNAN: return at::isnan(a);
    case RC_U_ISINF: return at::isinf(a);
    case RC_U_ISFINITE: return at::isfinite(a);
    case RC_U_SOFTPLUS: return at::softplus(a);
    case RC_U_ATAN: return at::atan(a);
    case RC_U_LOG_SIGMOID: return at::log_sigmoid(a);
    default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
  }
}

void unary_(int32_t op, at::Tensor& a) {
  switch (op) {
    case RC_U_NEG: a.neg_(); return;
    case RC_U_ABS: a.abs_(); return;
    case RC_U_EXP: a.exp_(); return;
    case RC_U_LOG: a.log_(); return;
    case RC_U_SQRT: a.sqrt_(); return;
    case RC_U_SIGMOID: a.sigmoid_(); return;
    case RC_U_RELU: a.relu_(); return;
    case RC_U_TANH: a.tanh_(); return;
    case RC_U_FLOOR: a.floor_(); return;
    case RC_U_CEIL: a.ceil_(); return;
    case RC_U_ROUND: a.round_(); return;
    case RC_U_RECIPROCAL: a.reciprocal_(); return;
    case RC_U_SQUARE: a.square_(); return;
    default: a.copy_(unary(op, a)); return;
  }
}

at::Tensor binary(int32_t op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case RC_B_ADD: return at::add(a, b);
    case RC_B_SUB: return at::sub(a, b);
    case RC_B_MUL: return at::mul(a, b);
    case RC_B_DIV: return at::div(a, b);
    case RC_B_FLOOR_DIV: return at::div(a, b, "floor");
    case RC_B_TRUNC_DIV: return at::div(a, b, "trunc");
    case RC_B_POW: return at::pow(a, b);
    case RC_B_REMAINDER: return at::remainder(a, b);
    case RC_B_FMOD: return at::fmod(a, b);
    case RC_B_MAXIMUM: return at::maximum(a, b);
    case RC_B_MINIMUM: return at::minimum(a, b);
    case RC_B_ATAN2: return at::atan2(a, b);
    case RC_B_EQ: return at::eq(a, b);
    case RC_B_NE: return at::ne(a, b);
    case RC_B_LT: return at::lt(a, b);
    case RC_B_LE: return at::le(a, b);
    case RC_B_GT: return at::gt(a, b);
    case RC_B_GE: return at::ge(a, b);
    case RC_B_LOGICAL_AND: return at::logical_and(a, b);
    case RC_B_LOGICAL_OR: return at::logical_or(a, b);
    case RC_B_LOGICAL_XOR: return at::logical_xor(a, b);
    case RC_B_BITWISE_AND: return at::bitwise_and(a, b);
    case RC_B_BITWISE_OR: return at::bitwise_or(a, b);
    case RC_B_BITWISE_XOR: return at::bitwise_xor(a, b);
    case RC_B_MATMUL: return at::matmul(a, b);
    case RC_B_MM: return at::mm(a, b);
    case RC_B_BMM: return at::bmm(a, b);
    case RC_B_OUTER: return at::outer(a, b);
    case RC_B_BMM_ACROSS_BATCH: return bmm_across_batch(a, b);
    default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
  }
}

void binary_(int32_t op, at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case RC_B_ADD: a.add_(b); return;
    case RC_B_SUB: a.sub_(b); return;
    case RC_B_MUL: a.mul_(b); return;
    case RC_B_DIV: a.div_(b); return;
    case RC_B_POW: a.pow_(b); return;
    case RC_B_MAXIMUM: a.copy_(at::maximum(a, b)); return;
    case RC_B_MINIMUM: a.copy_(at::minimum(a, b)); return;
    default: a.copy_(binary(op, a, b)); return;
  }
}

at::Tensor binary_scalar(int32_t op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case RC_B_ADD: return at::add(a, s);
    case RC_B_SUB: return at::sub(a, s);
    case RC_B_MUL: return at::mul(a, s);
    case RC_B_DIV: return at::div(a, s);
    case RC_B_FLOOR_DIV: return at::div(a, s, "floor");
    case RC_B_TRUNC_DIV: return at::div(a, s, "trunc");
    case RC_B_POW: return at::pow(a, s);
    case RC_B_REMAINDER: return at::remainder(a, s);
    case RC_B_FMOD: return at::fmod(a, s);
    case RC_B_MAXIMUM: return at::clamp_min(a, s);
    case RC_B_MINIMUM: return at::clamp_max(a, s);
    case RC_B_EQ: return at::eq(a, s);
    case RC_B_NE: return at::ne(a, s);
    case RC_B_LT: return at::lt(a, s);
    case RC_B_LE: return at::le(a, s);
    case RC_B_GT: return at::gt(a, s);
    case RC_B_GE: return at::ge(a, s);
    case RC_B_RSUB: return at::rsub(a, s);
    case RC_B_RDIV: return at::mul(at::reciprocal(a), s);
    case RC_B_RPOW: return at::pow(s, a);
    case RC_B_BITWISE_AND: return at::bitwise_and(a, s);
    case RC_B_BITWISE_OR: return at::bitwise_or(a, s);
    default: throw std::invalid_argument("unknown tensor-scalar op " + std::to_string(op));
  }
}

void binary_scalar_(int32_t op, at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case RC_B_ADD: a.add_(s); return;
    case RC_B_SUB: a.sub_(s); return;
    case RC_B_MUL: a.mul_(s); return;
    case RC_B_DIV: a.div_(s); return;
    case RC_B_POW: a.pow_(s); return;
    case RC_B_MAXIMUM: a.clamp_min_(s); return;
    case RC_B_MINIMUM: a.clamp_max_(s); return;
    default: a.copy_(binary_scalar(op, a, s)); return;
  }
}

std::vector<int64_t> dimvec(const int64_t* d, int64_t n) { return std::vector<int64_t>(d, d + n); }

at::Tensor reduce(int32_t op, const at::Tensor& a, const int64_t* d, int64_t n, bool keep, int64_t correction) {
  bool all = n == 0;
  auto dv = dimvec(d, n);
  switch (op) {
    case RC_R_SUM: return all ? at::sum(a) : at::sum(a, dv, keep);
    case RC_R_MEAN: return all ? at::mean(a) : at::mean(a, dv, keep);
    case RC_R_PROD:
      if (all) return at::prod(a);
      if (n != 1) throw std::invalid_argument("prod reduces one dim at a time");
      return at::prod(a, d[0], keep);
    case RC_R_AMAX: return at::amax(a, dv, keep);
    case RC_R_AMIN: return at::amin(a, dv, keep);
    case RC_R_LOGSUMEXP: return at::logsumexp(a, all ? std::vector<int64_t>{} : dv, keep);
    case RC_R_STD: return at::std(a, all ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dv), correction, keep);
    case RC_R_VAR: return at::var(a, all ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dv), correction, keep);
    case RC_R_ALL:
      if (all) return at::all(a);
      if (n != 1) throw std::invalid_argument("all reduces one dim at a time");
      return at::all(a, d[0], keep);
    case RC_R_ANY:
      if (all) return at::any(a);
      if (n != 1) throw std::invalid_argument("any reduces one dim at a time");
      return at::any(a, d[0], keep);
    case RC_R_COUNT_NONZERO: return all ? at::count_nonzero(a) : at::count_nonzero(a, dv);
    default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
  }
}

}  // namespace

RC_API int32_t rc_unary(int32_t op, rc_tensor a, rc_tensor* out) { return guard("unary", [&] { *out = wrap(unary(op, T(a))); }); }
RC_API int32_t rc_unary_(int32_t op, rc_tensor a) { return guard("unary_", [&] { unary_(op, T(a)); }); }
RC_API int32_t rc_binary(int32_t op, rc_tensor a, rc_tensor b, rc_tensor* out) { return guard("binary", [&] { *out = wrap(binary(op, T(a), T(b))); }); }
RC_API int32_t rc_binary_(int32_t op, rc_tensor a, rc_tensor b) { return guard("binary_", [&] { binary_(op, T(a), T(b)); }); }
RC_API int32_t rc_binary_scalar(int32_t op, rc_tensor a, rc_scalar s, rc_tensor* out) { return guard("binary_scalar", [&] { *out = wrap(binary_scalar(op, T(a), S(s))); }); }
RC_API int32_t rc_binary_scalar_(int32_t op, rc_tensor a, rc_scalar s) { return guard("binary_scalar_", [&] { binary_scalar_(op, T(a), S(s)); }); }

RC_API int32_t rc_tensor_add_scaled(rc_tensor a, rc_tensor b, rc_scalar alpha, int32_t inplace, rc_tensor* out) {
  return guard("add", [&] { if (inplace) T(a).add_(T(b), S(alpha)); else *out = wrap(at::add(T(a), T(b), S(alpha))); });
}
RC_API int32_t rc_tensor_addcmul_(rc_tensor a, rc_tensor t1, rc_tensor t2, rc_scalar v) { return guard("addcmul_", [&] { T(a).addcmul_(T(t1), T(t2), S(v)); }); }
RC_API int32_t rc_tensor_addcdiv_(rc_tensor a, rc_tensor t1, rc_tensor t2, rc_scalar v) { return guard("addcdiv_", [&] { T(a).addcdiv_(T(t1), T(t2), S(v)); }); }
RC_API int32_t rc_tensor_lerp_(rc_tensor a, rc_tensor end, rc_scalar w) { return guard("lerp_", [&] { T(a).lerp_(T(end), S(w)); }); }
RC_API int32_t rc_tensor_baddbmm(rc_tensor self, rc_tensor b1, rc_tensor b2, rc_scalar beta, rc_scalar alpha, rc_tensor* out) {
  return guard("baddbmm", [&] { *out = wrap(at::baddbmm(T(self), T(b1), T(b2), S(beta), S(alpha))); });
}
RC_API int32_t rc_tensor_einsum(const char* eq, const rc_tensor* ts, int64_t n, rc_tensor* out) { return guard("einsum", [&] { *out = wrap(at::einsum(eq, tensors(ts, n))); }); }

RC_API int32_t rc_tensor_clamp(rc_tensor a, rc_scalar lo, int32_t has_lo, rc_scalar hi, int32_t has_hi, int32_t inplace, rc_tensor* out) {
  return guard("clamp", [&] {
    c10::optional<at::Scalar> l = has_lo ? c10::optional<at::Scalar>(S(lo)) : c10::nullopt;
    c10::optional<at::Scalar> h = has_hi ? c10::optional<at::Scalar>(S(hi)) : c10::nullopt;
    if (inplace) T(a).clamp_(l, h); else *out = wrap(at::clamp(T(a), l, h));
  });
}

RC_API int32_t rc_tensor_allclose(rc_tensor a, rc_tensor b, double rtol, double atol, int32_t* out) { return guard("allclose", [&] { *out = at::allclose(T(a), T(b), rtol, atol); }); }
RC_API int32_t rc_tensor_equal(rc_tensor a, rc_tensor b, int32_t* out) { return guard("equal", [&] { *out = at::equal(T(a), T(b)); }); }

RC_API int32_t rc_reduce(int32_t op, rc_tensor a, const int64_t* d, int64_t n, int32_t keepdim, int64_t correction, rc_tensor* out) {
  return guard("reduce", [&] { *out = wrap(reduce(op, T(a), d, n, keepdim != 0, correction)); });
}

RC_API int32_t rc_tensor_norm(rc_tensor a, double p, const int64_t* d, int64_t n, int32_t keepdim, rc_tensor* out) {
  return guard("norm", [&] { *out = wrap(n == 0 ? at::norm(T(a), p) : at::norm(T(a), p, dims(d, n), keepdim != 0)); });
}

// max/min along a dim: values and indices.
RC_API int32_t rc_tensor_max_dim(rc_tensor a, int64_t d, int32_t keepdim, int32_t is_min, rc_tensor* values, rc_tensor* indices) {
  return guard(is_min ? "min" : "max", [&] {
    auto r = is_min ? at::min(T(a), d, keepdim != 0) : at::max(T(a), d, keepdim != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}
RC_API int32_t rc_tensor_max_all(rc_tensor a, int32_t is_min, rc_tensor* out) { return guard(is_min ? "min" : "max", [&] { *out = wrap(is_min ? at::min(T(a)) : at::max(T(a))); }); }

RC_API int32_t rc_tensor_argmax(rc_tensor a, int64_t d, int32_t has_dim, int32_t keepdim, int32_t is_min, rc_tensor* out) {
  return guard(is_min ? "argmin" : "argmax", [&] {
    c10::optional<int64_t> dim = has_dim ? c10::optional<int64_t>(d) : c10::nullopt;
    *out = wrap(is_min ? at::argmin(T(a), dim, keepdim != 0) : at::argmax(T(a), dim, keepdim != 0));
  });
}

RC_API int32_t rc_tensor_sort(rc_tensor a, int64_t d, int32_t descending, int32_t stable, rc_tensor* values, rc_tensor* indices) {
  return guard("sort", [&] {
    auto r = at::sort(T(a), stable != 0, d, descending != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}

RC_API int32_t rc_tensor_topk(rc_tensor a, int64_t k, int64_t d, int32_t largest, int32_t sorted, rc_tensor* values, rc_tensor* indices) {
  return guard("topk", [&] {
    auto r = at::topk(T(a), k, d, largest != 0, sorted != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}

RC_API int32_t rc_tensor_cumsum(rc_tensor a, int64_t d, int32_t prod, rc_tensor* out) { return guard(prod ? "cumprod" : "cumsum", [&] { *out = wrap(prod ? at::cumprod(T(a), d) : at::cumsum(T(a), d)); }); }
