// Views, reshaping, joining, splitting and indexing.
#include "common.h"

using namespace rc;

RC_API int32_t rc_tensor_view(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("view", [&] { *out = wrap(T(a).view(dims(s, n))); }); }
RC_API int32_t rc_tensor_reshape(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("reshape", [&] { *out = wrap(T(a).reshape(dims(s, n))); }); }
RC_API int32_t rc_tensor_permute(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("permute", [&] { *out = wrap(T(a).permute(dims(s, n))); }); }
RC_API int32_t rc_tensor_expand(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("expand", [&] { *out = wrap(T(a).expand(dims(s, n))); }); }
RC_API int32_t rc_tensor_repeat(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("repeat", [&] { *out = wrap(T(a).repeat(dims(s, n))); }); }
RC_API int32_t rc_tensor_flip(rc_tensor a, const int64_t* s, int64_t n, rc_tensor* out) { return guard("flip", [&] { *out = wrap(T(a).flip(dims(s, n))); }); }
RC_API int32_t rc_tensor_transpose(rc_tensor a, int64_t d0, int64_t d1, rc_tensor* out) { return guard("transpose", [&] { *out = wrap(T(a).transpose(d0, d1)); }); }
RC_API int32_t rc_tensor_movedim(rc_tensor a, int64_t src, int64_t dst, rc_tensor* out) { return guard("movedim", [&] { *out = wrap(T(a).movedim(src, dst)); }); }
RC_API int32_t rc_tensor_unsqueeze(rc_tensor a, int64_t d, rc_tensor* out) { return guard("unsqueeze", [&] { *out = wrap(T(a).unsqueeze(d)); }); }
RC_API int32_t rc_tensor_squeeze(rc_tensor a, int64_t d, int32_t all, rc_tensor* out) { return guard("squeeze", [&] { *out = wrap(all ? T(a).squeeze() : T(a).squeeze(d)); }); }
RC_API int32_t rc_tensor_flatten(rc_tensor a, int64_t start, int64_t end, rc_tensor* out) { return guard("flatten", [&] { *out = wrap(T(a).flatten(start, end)); }); }
RC_API int32_t rc_tensor_unflatten(rc_tensor a, int64_t d, const int64_t* s, int64_t n, rc_tensor* out) { return guard("unflatten", [&] { *out = wrap(T(a).unflatten(d, dims(s, n))); }); }
RC_API int32_t rc_tensor_narrow(rc_tensor a, int64_t d, int64_t start, int64_t len, rc_tensor* out) { return guard("narrow", [&] { *out = wrap(T(a).narrow(d, start, len)); }); }
RC_API int32_t rc_tensor_select(rc_tensor a, int64_t d, int64_t index, rc_tensor* out) { return guard("select", [&] { *out = wrap(T(a).select(d, index)); }); }
RC_API int32_t rc_tensor_slice(rc_tensor a, int64_t d, int64_t start, int64_t end, int64_t step, rc_tensor* out) {
  return guard("slice", [&] { *out = wrap(T(a).slice(d, start, end, step)); });
}
RC_API int32_t rc_tensor_roll(rc_tensor a, int64_t shift, int64_t d, rc_tensor* out) { return guard("roll", [&] { *out = wrap(T(a).roll(shift, d)); }); }
RC_API int32_t rc_tensor_triu(rc_tensor a, int64_t k, int32_t lower, rc_tensor* out) { return guard(lower ? "tril" : "triu", [&] { *out = wrap(lower ? T(a).tril(k) : T(a).triu(k)); }); }

RC_API int32_t rc_tensor_cat(const rc_tensor* ts, int64_t n, int64_t d, rc_tensor* out) { return guard("cat", [&] { *out = wrap(at::cat(tensors(ts, n), d)); }); }
RC_API int32_t rc_tensor_stack(const rc_tensor* ts, int64_t n, int64_t d, rc_tensor* out) { return guard("stack", [&] { *out = wrap(at::stack(tensors(ts, n), d)); }); }

RC_API int32_t rc_tensor_split_sizes(rc_tensor a, const int64_t* sizes, int64_t n, int64_t d, rc_tensor_list* out) {
  return guard("split", [&] { *out = wrap_list(T(a).split_with_sizes(dims(sizes, n), d)); });
}
RC_API int32_t rc_tensor_split(rc_tensor a, int64_t size, int64_t d, rc_tensor_list* out) { return guard("split", [&] { *out = wrap_list(T(a).split(size, d)); }); }
RC_API int32_t rc_tensor_chunk(rc_tensor a, int64_t chunks, int64_t d, rc_tensor_list* out) { return guard("chunk", [&] { *out = wrap_list(T(a).chunk(chunks, d)); }); }
RC_API int32_t rc_tensor_unbind(rc_tensor a, int64_t d, rc_tensor_list* out) { return guard("unbind", [&] { *out = wrap_list(T(a).unbind(d)); }); }
RC_API int32_t rc_tensor_meshgrid(const rc_tensor* ts, int64_t n, int32_t xy, rc_tensor_list* out) {
  return guard("meshgrid", [&] { *out = wrap_list(at::meshgrid(tensors(ts, n), xy ? "xy" : "ij")); });
}

// Advanced indexing: a null entry in `indices` stands for a full slice (`:`).
RC_API int32_t rc_tensor_index(rc_tensor a, const rc_tensor* idx, int64_t n, rc_tensor* out) {
  return guard("index", [&] {
    c10::List<c10::optional<at::Tensor>> list;
    for (int64_t i = 0; i < n; ++i) list.push_back(opt(idx[i]));
    *out = wrap(at::index(T(a), list));
  });
}
RC_API int32_t rc_tensor_index_put_(rc_tensor a, const rc_tensor* idx, int64_t n, rc_tensor values, int32_t accumulate) {
  return guard("index_put_", [&] {
    c10::List<c10::optional<at::Tensor>> list;
    for (int64_t i = 0; i < n; ++i) list.push_back(opt(idx[i]));
    T(a).index_put_(list, T(values), accumulate != 0);
  });
}
RC_API int32_t rc_tensor_index_select(rc_tensor a, int64_t d, rc_tensor index, rc_tensor* out) { return guard("index_select", [&] { *out = wrap(at::index_select(T(a), d, T(index))); }); }
RC_API int32_t rc_tensor_gather(rc_tensor a, int64_t d, rc_tensor index, rc_tensor* out) { return guard("gather", [&] { *out = wrap(at::gather(T(a), d, T(index))); }); }
RC_API int32_t rc_tensor_scatter(rc_tensor a, int64_t d, rc_tensor index, rc_tensor src, int32_t add, rc_tensor* out) {
  return guard(add ? "scatter_add" : "scatter", [&] { *out = wrap(add ? at::scatter_add(T(a), d, T(index), T(src)) : at::scatter(T(a), d, T(index), T(src))); });
}
RC_API int32_t rc_tensor_scatter_value(rc_tensor a, int64_t d, rc_tensor index, rc_scalar v, rc_tensor* out) {
  return guard("scatter", [&] { *out = wrap(at::scatter(T(a), d, T(index), S(v))); });
}
RC_API int32_t rc_tensor_masked_fill(rc_tensor a, rc_tensor mask, rc_scalar v, int32_t inplace, rc_tensor* out) {
  return guard("masked_fill", [&] {
    if (inplace) T(a).masked_fill_(T(mask), S(v)); else *out = wrap(T(a).masked_fill(T(mask), S(v)));
  });
}
RC_API int32_t rc_tensor_masked_select(rc_tensor a, rc_tensor mask, rc_tensor* out) { return guard("masked_select", [&] { *out = wrap(at::masked_select(T(a), T(mask))); }); }
RC_API int32_t rc_tensor_where(rc_tensor cond, rc_tensor a, rc_tensor b, rc_tensor* out) { return guard("where", [&] { *out = wrap(at::where(T(cond), T(a), T(b))); }); }
RC_API int32_t rc_tensor_nonzero(rc_tensor a, rc_tensor* out) { return guard("nonzero", [&] { *out = wrap(at::nonzero(T(a))); }); }
RC_API int32_t rc_tensor_one_hot(rc_tensor a, int64_t classes, rc_tensor* out) { return guard("one_hot", [&] { *out = wrap(at::one_hot(T(a), classes)); }); }
