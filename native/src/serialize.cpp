// torch.save / torch.load compatible checkpoint I/O and the rc_ivalue value tree.
#include "common.h"
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/script.h>
#include <cstring>
#include <fstream>
#include <set>

using namespace rc;

namespace {

c10::IValue& V(rc_ivalue v) {
  if (v == nullptr) throw std::invalid_argument("null value handle");
  return *reinterpret_cast<c10::IValue*>(v);
}
rc_ivalue wrapv(c10::IValue v) { return reinterpret_cast<rc_ivalue>(new c10::IValue(std::move(v))); }

std::vector<char> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  return std::vector<char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

bool is_zip(const std::vector<char>& b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4; }

// Python globals a torch.save checkpoint legitimately names; anything else is refused before
// unpickling (libtorch cannot run Python, but a clear refusal beats a confusing failure).
bool allowed_global(const std::string& module, const std::string& name) {
  static const std::set<std::string> allowed = {
      "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_qtensor", "collections.OrderedDict",
      "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
      "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
      "torch.device", "torch._utils._rebuild_tensor_v3",
      // Written by libtorch's own pickler (C++ torch::save) for typed containers; data only.
      "torch.jit._pickle.restore_type_tag", "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_doublelist",
      "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_tensor_from_id"};
  return allowed.count(module + "." + name) > 0;
}

// Walks the pickle opcode stream without executing it and checks every global reference.
class PickleScanner {
 public:
  PickleScanner(const char* data, size_t size, std::string where) : p_(data), end_(data + size), where_(std::move(where)) {}

  void scan() {
    while (p_ < end_) {
      uint8_t op = static_cast<uint8_t>(*p_++);
      if (op == '.') return;  // STOP
      step(op);
    }
    throw std::runtime_error(where_ + ": pickle stream ends without STOP (truncated file?)");
  }

 private:
  const char* p_;
  const char* end_;
  std::string where_;
  std::vector<std::string> recent_strings_;

  void need(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) throw std::runtime_error(where_ + ": pickle stream is truncated");
  }
  uint64_t uint(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += n;
    return v;
  }
  std::string bytes(size_t n) {
    need(n);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  std::string line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    if (nl == nullptr) throw std::runtime_error(where_ + ": pickle stream is truncated");
    std::string s(p_, nl);
    p_ = nl + 1;
    return s;
  }
  void check(const std::string& module, const std::string& name) {
    if (!allowed_global(module, name))
      throw std::runtime_error(where_ + ": refused to load: the pickle asks for the Python global '" + module + "." + name +
                               "', which is not a tensor rebuild function. Only plain tensors, numbers, strings and "
                               "containers are accepted; nothing was executed.");
  }
  void push_string(std::string s) {
    recent_strings_.push_back(std::move(s));
    if (recent_strings_.size() > 2) recent_strings_.erase(recent_strings_.begin());
  }

  void step(uint8_t op) {
    bool keeps_strings = false;
    switch (op) {
      case '(': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a': case 'b': case 'd': case '}':
      case 'e': case 'l': case ']': case 's': case 't': case ')': case 'u': case 0x85: case 0x86: case 0x87:
      case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91: case 0x81:
        break;
      case 0x94: keeps_strings = true; break;                       // MEMOIZE
      case 'F': case 'I': case 'L': case 'g': line(); break;
      case 'p': line(); keeps_strings = true; break;                // PUT
      case 'P': line(); break;                                      // PERSID
      case 'S': case 'V': push_string(line()); keeps_strings = true; break;
      case 'J': uint(4); break;
      case 'K': case 'h': uint(1); break;
      case 'M': uint(2); break;
      case 'j': uint(4); break;
      case 'q': uint(1); keeps_strings = true; break;               // BINPUT
      case 'r': uint(4); keeps_strings = true; break;               // LONG_BINPUT
      case 'G': uint(8); break;
      case 0x80: uint(1); break;                                    // PROTO
      case 0x95: uint(8); break;                                    // FRAME
      case 'T': case 'X': push_string(bytes(uint(4))); keeps_strings = true; break;
      case 'U': case 0x8c: push_string(bytes(uint(1))); keeps_strings = true; break;
      case 0x8d: push_string(bytes(uint(8))); keeps_strings = true; break;
      case 'B': bytes(uint(4)); break;
      case 'C': bytes(uint(1)); break;
      case 0x8e: case 0x96: bytes(uint(8)); break;
      case 0x8a: bytes(uint(1)); break;
      case 0x8b: bytes(uint(4)); break;
      case 'c': {  // GLOBAL module\nname\n
        auto module = line();
        auto name = line();
        check(module, name);
        break;
      }
      case 0x93:  // STACK_GLOBAL: module and name are the two strings just pushed
        if (recent_strings_.size() < 2)
          throw std::runtime_error(where_ + ": refused to load: the pickle builds a global from computed strings");
        check(recent_strings_[0], recent_strings_[1]);
        break;
      case 'i': {  // INST module\nname\n: builds an arbitrary class instance
        auto module = line();
        auto name = line();
        check(module, name);
        break;
      }
      case 'o': case 0x92: case 0x82: case 0x83: case 0x84: case 0x97: case 0x98:
        throw std::runtime_error(where_ + ": refused to load: the pickle uses opcode 0x" + hex(op) +
                                 " (object construction or out-of-band data), which checkpoints never need");
      default:
        throw std::runtime_error(where_ + ": not a valid pickle stream (unknown opcode 0x" + hex(op) + ")");
    }
    if (!keeps_strings) recent_strings_.clear();
  }
  static std::string hex(uint8_t v) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", v);
    return b;
  }
};

std::string find_record(caffe2::serialize::PyTorchStreamReader& r, const std::string& suffix) {
  for (auto& name : r.getAllRecords())
    if (name == suffix || (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                           name[name.size() - suffix.size() - 1] == '/'))
      return name;
  return "";
}

int32_t kind_of(const std::string& path, const std::vector<char>& head) {
  if (is_zip(head)) {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord("constants.pkl") || !find_record(reader, "constants.pkl").empty()) return RC_CKPT_TORCHSCRIPT;
    if (reader.hasRecord("data.pkl")) return RC_CKPT_PICKLE_ZIP;
    throw std::runtime_error("'" + path + "' is a zip archive but neither a torch.save checkpoint nor a TorchScript archive (no data.pkl)");
  }
  if (head.size() >= 2 && static_cast<uint8_t>(head[0]) == 0x80 && head[1] >= 2 && head[1] <= 5) return RC_CKPT_LEGACY_PICKLE;
  throw std::runtime_error("'" + path + "' is not a PyTorch checkpoint (neither a torch.save zip archive nor a pickle)");
}

std::vector<char> read_head(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  std::vector<char> head(8, 0);
  f.read(head.data(), 8);
  head.resize(static_cast<size_t>(f.gcount()));
  return head;
}

}  // namespace

RC_API int32_t rc_checkpoint_kind(const char* path, int32_t* kind) {
  return guard("checkpoint_kind", [&] { *kind = kind_of(path, read_head(path)); });
}

RC_API int32_t rc_pickle_load(const char* path, rc_ivalue* out) {
  return guard("load", [&] {
    std::string p(path);
    auto kind = kind_of(p, read_head(p));
    if (kind == RC_CKPT_LEGACY_PICKLE)
      throw std::runtime_error("'" + p + "' uses the legacy (pre-1.6) torch.save format; re-save it in Python with torch.save(torch.load(f), f2)");
    if (kind != RC_CKPT_PICKLE_ZIP) throw std::runtime_error("'" + p + "' is a TorchScript archive, not a torch.save file");
    caffe2::serialize::PyTorchStreamReader reader(p);
    auto record = reader.getRecord("data.pkl");
    PickleScanner(static_cast<const char*>(std::get<0>(record).get()), std::get<1>(record), "'" + p + "'").scan();
    *out = wrapv(torch::jit::pickle_load(read_file(p)));
  });
}

RC_API int32_t rc_pickle_save(rc_ivalue value, const char* path) {
  return guard("save", [&] {
    auto bytes = torch::jit::pickle_save(V(value));
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(std::string("cannot write '") + path + "'");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) throw std::runtime_error(std::string("failed writing '") + path + "'");
  });
}

RC_API int32_t rc_torchscript_load(const char* path, rc_ivalue* out) {
  return guard("torchscript_load", [&] {
    auto module = torch::jit::load(path, at::kCPU);
    auto dict = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
    for (const auto& p : module.named_parameters(/*recurse=*/true)) dict.insert(p.name, p.value.detach());
    for (const auto& b : module.named_buffers(/*recurse=*/true)) dict.insert(b.name, b.value.detach());
    *out = wrapv(c10::IValue(dict));
  });
}

RC_API void rc_ivalue_free(rc_ivalue v) { delete reinterpret_cast<c10::IValue*>(v); }

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
c10::impl::GenericDict::iterator dict_at(rc_ivalue v, int64_t i) {
  auto d = V(v).toGenericDict();
  if (i < 0 || i >= static_cast<int64_t>(d.size())) throw std::out_of_range("dict index out of range");
  auto it = d.begin();
  std::advance(it, i);
  return it;
}
}  // namespace

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
  return guard("ivalue_dict_insert", [&] { V(dict).toGenericDict().insert_or_assign(V(key), V(value)); });
}
