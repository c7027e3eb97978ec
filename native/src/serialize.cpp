// torch.save compatible checkpoint writing and the rc_ivalue value tree (loading is in
// serialize_load.cpp). Saving uses libtorch's Pickler without type tags, so the files are plain
// torch.save archives for Python.
#include "common.h"
#include "serialize.h"
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

using namespace rc;

namespace {

c10::IValue& V(rc_ivalue v) {
  if (v == nullptr) throw std::invalid_argument("null value handle");
  return *reinterpret_cast<c10::IValue*>(v);
}
rc_ivalue wrapv(c10::IValue v) { return wrap_value(std::move(v)); }

// Writes to a file descriptor and remembers the first error instead of throwing: the zip writer
// calls back from C code and must be allowed to finish its bookkeeping.
class FileSink {
 public:
  explicit FileSink(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create '" + path + "': " + std::strerror(errno));
  }
  ~FileSink() {
    if (fd_ >= 0) ::close(fd_);
  }
  size_t write(const void* data, size_t n) {
    auto p = static_cast<const char*>(data);
    for (size_t left = n; left > 0 && error_ == 0;) {
      auto w = ::write(fd_, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = w < 0 ? errno : EIO;
        break;
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
    return n;
  }
  // Flushes to disk so that the rename that publishes the file never exposes a partial one.
  void finish() {
    if (error_ == 0 && ::fsync(fd_) != 0) error_ = errno;
    if (::close(fd_) != 0 && error_ == 0) error_ = errno;
    fd_ = -1;
    if (error_ != 0) throw std::runtime_error("failed writing '" + path_ + "': " + std::strerror(error_));
  }

 private:
  std::string path_;
  int fd_ = -1;
  int error_ = 0;
};

}  // namespace

RC_API int32_t rc_pickle_save(rc_ivalue value, const char* path) {
  return guard("save", [&] {
    // Pickle first: anything unsupported fails before the file is touched.
    std::vector<char> pickle;
    torch::jit::Pickler pickler([&](const char* buf, size_t n) { pickle.insert(pickle.end(), buf, buf + n); },
                                /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
                                /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
    pickler.protocol();
    pickler.pushIValue(V(value));
    pickler.stop();
    FileSink sink(path);
    {
      caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) { return sink.write(buf, n); });
      torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
      writer.writeEndOfFile();
    }
    sink.finish();
  });
}

RC_API int32_t rc_ivalue_kind(rc_ivalue v, int32_t* kind) {
  return guard("ivalue_kind", [&] {
    auto& x = V(v);
    *kind = x.isNone() ? RC_IV_NONE : x.isTensor() ? RC_IV_TENSOR : x.isInt() ? RC_IV_INT : x.isDouble() ? RC_IV_DOUBLE
          : x.isBool() ? RC_IV_BOOL : x.isString() ? RC_IV_STRING : x.isList() ? RC_IV_LIST : x.isTuple() ? RC_IV_TUPLE
          : x.isGenericDict() ? RC_IV_DICT : RC_IV_OTHER;
  });
}

RC_API int32_t rc_ivalue_type_name(rc_ivalue v, char* buf, int64_t capacity) {
  return guard("ivalue_type_name", [&] {
    auto s = V(v).tagKind();
    std::snprintf(buf, static_cast<size_t>(capacity), "%s", s.c_str());
  });
}

RC_API int32_t rc_ivalue_to_tensor(rc_ivalue v, rc_tensor* out) { return guard("ivalue_to_tensor", [&] { *out = wrap(V(v).toTensor()); }); }
RC_API int32_t rc_ivalue_to_int(rc_ivalue v, int64_t* out) { return guard("ivalue_to_int", [&] { *out = V(v).toInt(); }); }
RC_API int32_t rc_ivalue_to_double(rc_ivalue v, double* out) { return guard("ivalue_to_double", [&] { *out = V(v).toDouble(); }); }
RC_API int32_t rc_ivalue_to_bool(rc_ivalue v, int32_t* out) { return guard("ivalue_to_bool", [&] { *out = V(v).toBool(); }); }
RC_API int32_t rc_ivalue_to_string(rc_ivalue v, const char** data, int64_t* len) {
  return guard("ivalue_to_string", [&] {
    const auto& s = V(v).toStringRef();
    *data = s.data();
    *len = static_cast<int64_t>(s.size());
  });
}

RC_API int32_t rc_ivalue_len(rc_ivalue v, int64_t* out) {
  return guard("ivalue_len", [&] {
    auto& x = V(v);
    if (x.isList()) *out = static_cast<int64_t>(x.toListRef().size());
    else if (x.isTuple()) *out = static_cast<int64_t>(x.toTupleRef().elements().size());
    else if (x.isGenericDict()) *out = static_cast<int64_t>(x.toGenericDict().size());
    else throw std::invalid_argument("value of kind " + x.tagKind() + " has no length");
  });
}

RC_API int32_t rc_ivalue_item(rc_ivalue v, int64_t i, rc_ivalue* out) {
  return guard("ivalue_item", [&] {
    auto& x = V(v);
    if (x.isList()) *out = wrapv(x.toListRef().at(static_cast<size_t>(i)));
    else if (x.isTuple()) *out = wrapv(x.toTupleRef().elements().at(static_cast<size_t>(i)));
    else throw std::invalid_argument("value of kind " + x.tagKind() + " is not a list or tuple");
  });
}

namespace {
// C# reads a dict entry by entry, in order; remembering where the previous lookup ended keeps
// that linear instead of quadratic. Any insert forgets the position.
struct DictCursor {
  c10::impl::GenericDict dict;
  int64_t index;
  c10::impl::GenericDict::iterator it;
};
thread_local std::unique_ptr<DictCursor> dict_cursor;

c10::impl::GenericDict::iterator dict_at(rc_ivalue v, int64_t i) {
  auto d = V(v).toGenericDict();
  if (i < 0 || i >= static_cast<int64_t>(d.size())) throw std::out_of_range("dict index out of range");
  auto& c = dict_cursor;
  if (!c || !c->dict.is(d) || c->index > i) c = std::make_unique<DictCursor>(DictCursor{d, 0, d.begin()});
  std::advance(c->it, i - c->index);
  c->index = i;
  return c->it;
}
}  // namespace

RC_API void rc_ivalue_free(rc_ivalue v) {
  auto* x = reinterpret_cast<c10::IValue*>(v);
  // The cursor must not keep a dict (and its tensors) alive once C# lets go of it.
  if (x != nullptr && dict_cursor && x->isGenericDict() && dict_cursor->dict.is(x->toGenericDict())) dict_cursor.reset();
  delete x;
}

RC_API int32_t rc_ivalue_dict_key(rc_ivalue v, int64_t i, rc_ivalue* out) { return guard("ivalue_dict_key", [&] { *out = wrapv(dict_at(v, i)->key()); }); }
RC_API int32_t rc_ivalue_dict_value(rc_ivalue v, int64_t i, rc_ivalue* out) { return guard("ivalue_dict_value", [&] { *out = wrapv(dict_at(v, i)->value()); }); }

RC_API int32_t rc_ivalue_none(rc_ivalue* out) { return guard("ivalue_none", [&] { *out = wrapv(c10::IValue()); }); }
RC_API int32_t rc_ivalue_from_tensor(rc_tensor t, rc_ivalue* out) { return guard("ivalue_from_tensor", [&] { *out = wrapv(c10::IValue(T(t))); }); }
RC_API int32_t rc_ivalue_from_int(int64_t v, rc_ivalue* out) { return guard("ivalue_from_int", [&] { *out = wrapv(c10::IValue(v)); }); }
RC_API int32_t rc_ivalue_from_double(double v, rc_ivalue* out) { return guard("ivalue_from_double", [&] { *out = wrapv(c10::IValue(v)); }); }
RC_API int32_t rc_ivalue_from_bool(int32_t v, rc_ivalue* out) { return guard("ivalue_from_bool", [&] { *out = wrapv(c10::IValue(v != 0)); }); }
RC_API int32_t rc_ivalue_from_string(const char* data, int64_t len, rc_ivalue* out) {
  return guard("ivalue_from_string", [&] { *out = wrapv(c10::IValue(std::string(data, static_cast<size_t>(len)))); });
}
RC_API int32_t rc_ivalue_list_new(rc_ivalue* out) { return guard("ivalue_list_new", [&] { *out = wrapv(c10::IValue(c10::impl::GenericList(c10::AnyType::get()))); }); }
RC_API int32_t rc_ivalue_list_append(rc_ivalue list, rc_ivalue item) { return guard("ivalue_list_append", [&] { V(list).toList().push_back(V(item)); }); }
RC_API int32_t rc_ivalue_tuple_new(const rc_ivalue* items, int64_t n, rc_ivalue* out) {
  return guard("ivalue_tuple_new", [&] {
    std::vector<c10::IValue> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(V(items[i]));
    *out = wrapv(c10::ivalue::Tuple::create(std::move(v)));
  });
}
RC_API int32_t rc_ivalue_dict_new(int32_t key_kind, rc_ivalue* out) {
  return guard("ivalue_dict_new", [&] {
    c10::TypePtr key = key_kind == RC_IV_INT ? c10::TypePtr(c10::IntType::get()) : c10::TypePtr(c10::StringType::get());
    *out = wrapv(c10::IValue(c10::impl::GenericDict(key, c10::AnyType::get())));
  });
}
RC_API int32_t rc_ivalue_dict_insert(rc_ivalue dict, rc_ivalue key, rc_ivalue value) {
  return guard("ivalue_dict_insert", [&] {
    dict_cursor.reset();
    V(dict).toGenericDict().insert_or_assign(V(key), V(value));
  });
}
