// torch.save / torch.load compatible checkpoint I/O and the rc_ivalue value tree.
// Loading never runs Python: data.pkl is read by the restricted unpickler in
// serialize_unpickler.cpp, storages come straight from the zip records. Saving uses libtorch's
// Pickler without type tags, so the files are plain torch.save archives for Python.
#include "common.h"
#include "serialize_unpickler.h"
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/script.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <unistd.h>

using namespace rc;

namespace {

c10::IValue& V(rc_ivalue v) {
  if (v == nullptr) throw std::invalid_argument("null value handle");
  return *reinterpret_cast<c10::IValue*>(v);
}
rc_ivalue wrapv(c10::IValue v) { return reinterpret_cast<rc_ivalue>(new c10::IValue(std::move(v))); }

// Every load error reads "cannot load '<path>': <reason>".
[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error("cannot load '" + path + "': " + reason);
}

// A libtorch message without its plea for bug reports.
std::string short_reason(const c10::Error& e) {
  std::string why = e.what_without_backtrace();
  auto cut = why.find("  (Could this error message be improved?");
  if (cut != std::string::npos) why.resize(cut);
  while (!why.empty() && (why.back() == '.' || why.back() == ' ' || why.back() == '\n')) why.pop_back();
  return why;
}

// Runs `body`, turning any exception into a load error that names the file; a libtorch error
// from the zip layer means the bytes are damaged.
template <class F>
auto with_path(const std::string& path, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const CheckpointError& e) {
    fail(path, e.what());
  } catch (const c10::Error& e) {
    fail(path, "the file is corrupt or truncated (" + short_reason(e) + ")");
  }
}

std::string printable_prefix(const std::vector<char>& head) {
  std::string s;
  for (char c : head) {
    auto u = static_cast<uint8_t>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      s += c;
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      s += b;
    }
  }
  return s;
}

std::vector<char> read_head(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, std::string("cannot open the file (") + std::strerror(errno) + ")");
  std::vector<char> head(16, 0);
  f.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(f.gcount()));
  return head;
}

bool is_zip(const std::vector<char>& b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4; }

// torch.save's legacy format starts with a pickled magic number: PROTO 2, LONG1 10 bytes.
bool is_legacy_torch(const std::vector<char>& b) {
  static const uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return b.size() >= sizeof magic && std::memcmp(b.data(), magic, sizeof magic) == 0;
}

std::unique_ptr<caffe2::serialize::PyTorchStreamReader> open_zip(const std::string& path) {
  try {
    return std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error& e) {
    std::string why = short_reason(e);
    if (why.find("central directory") != std::string::npos)
      fail(path, "the file is truncated or corrupt: it starts like a zip archive but its zip directory is missing "
                 "(an interrupted download or save?)");
    if (why.find("hasRecord(\"version\")") != std::string::npos) why = "it has no version record";
    fail(path, "not a PyTorch checkpoint: a zip archive that torch.save did not write (" + why + ")");
  }
}

int32_t kind_of(const std::string& path) {
  auto head = read_head(path);
  if (head.empty()) fail(path, "the file is empty");
  if (is_zip(head)) {
    auto reader = open_zip(path);
    if (reader->hasRecord("constants.pkl")) return RC_CKPT_TORCHSCRIPT;
    if (reader->hasRecord("data.pkl")) return RC_CKPT_PICKLE_ZIP;
    fail(path, "not a PyTorch checkpoint: a zip archive with neither data.pkl (torch.save) nor constants.pkl (TorchScript)");
  }
  if (is_legacy_torch(head)) return RC_CKPT_LEGACY_PICKLE;
  if (static_cast<uint8_t>(head[0]) == 0x80)
    fail(path, "a plain Python pickle, not a torch.save checkpoint; load it in Python and re-save it with torch.save");
  fail(path, "not a PyTorch checkpoint: the file starts with \"" + printable_prefix(head) +
                 "\", not with a zip archive (torch.save, torch.jit.save) or a pickle");
}

// CRC-32 as zip uses it (reflected polynomial 0xEDB88320), eight bytes per step.
uint32_t crc32(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo = c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
    c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
        table[3][p[4]] ^ table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
  }
  while (n-- > 0) c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

// libtorch's zip reader skips CRC checks, so a damaged byte would load as a wrong weight.
// torch.save's writer follows each record with a data descriptor (PK\7\8, crc, sizes); where
// one is present, the record's bytes must match its CRC.
class RecordChecker {
 public:
  explicit RecordChecker(const std::string& path) : file_(path, std::ios::binary) {}

  void check(caffe2::serialize::PyTorchStreamReader& reader, const std::string& name, const at::DataPtr& data, size_t size) {
    uint8_t d[8];
    file_.clear();
    file_.seekg(static_cast<std::streamoff>(reader.getRecordOffset(name) + size));
    if (!file_.read(reinterpret_cast<char*>(d), sizeof d)) return;
    if (!(d[0] == 'P' && d[1] == 'K' && d[2] == 7 && d[3] == 8)) return;
    uint32_t expected = uint32_t(d[4]) | uint32_t(d[5]) << 8 | uint32_t(d[6]) << 16 | uint32_t(d[7]) << 24;
    if (crc32(static_cast<const uint8_t*>(data.get()), size) != expected)
      throw CheckpointError("the file is corrupt: record " + name + " does not match its checksum (a damaged download or disk?)");
  }

 private:
  std::ifstream file_;
};

c10::IValue load_pickle_zip(const std::string& path) {
  auto reader = open_zip(path);
  return with_path(path, [&] {
    RecordChecker checker(path);
    if (reader->hasRecord("byteorder")) {
      auto rec = reader->getRecord("byteorder");
      std::string order(static_cast<const char*>(std::get<0>(rec).get()), std::get<1>(rec));
      if (order != "little") throw CheckpointError("the checkpoint was written on a big-endian machine, which is not supported");
    }
    auto pkl = reader->getRecord("data.pkl");
    checker.check(*reader, "data.pkl", std::get<0>(pkl), std::get<1>(pkl));
    StorageLoader load_storage = [&](const std::string& key, at::ScalarType dtype, int64_t numel) {
      std::string name = "data/" + key;
      if (!reader->hasRecord(name)) throw CheckpointError("the pickle refers to storage '" + key + "' but the archive has no record " + name);
      auto rec = reader->getRecord(name);
      checker.check(*reader, name, std::get<0>(rec), std::get<1>(rec));
      auto need = static_cast<size_t>(numel) * c10::elementSize(dtype);
      if (std::get<1>(rec) < need)
        throw CheckpointError("storage record " + name + " holds " + std::to_string(std::get<1>(rec)) + " bytes where " +
                              std::to_string(need) + " are needed (truncated or corrupt file)");
      return at::Storage(at::Storage::use_byte_size_t(), need, std::move(std::get<0>(rec)), /*allocator=*/nullptr, /*resizable=*/false);
    };
    return unpickle_checkpoint(static_cast<const char*>(std::get<0>(pkl).get()), std::get<1>(pkl), load_storage);
  });
}

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

void collect_named_tensors(const torch::jit::Module& m, const std::string& prefix, c10::impl::GenericDict& out) {
  // state_dict order: a module's own parameters, then its own buffers, then its children.
  for (const auto& p : m.named_parameters(/*recurse=*/false)) out.insert_or_assign(prefix + p.name, p.value.detach());
  for (const auto& b : m.named_buffers(/*recurse=*/false)) out.insert_or_assign(prefix + b.name, b.value.detach());
  for (const auto& c : m.named_children()) collect_named_tensors(c.value, prefix + c.name + ".", out);
}

}  // namespace

RC_API int32_t rc_checkpoint_kind(const char* path, int32_t* kind) {
  return guard("checkpoint_kind", [&] { *kind = kind_of(path); });
}

RC_API int32_t rc_pickle_load(const char* path, rc_ivalue* out) {
  return guard("load", [&] {
    std::string p(path);
    auto kind = kind_of(p);
    if (kind == RC_CKPT_LEGACY_PICKLE)
      fail(p, "it uses the legacy torch.save format of PyTorch < 1.6, which is not supported; re-save it with a newer "
              "PyTorch: torch.save(torch.load(f), f2)");
    if (kind == RC_CKPT_TORCHSCRIPT) fail(p, "it is a TorchScript archive, not a torch.save file");
    *out = wrapv(load_pickle_zip(p));
  });
}

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

RC_API int32_t rc_torchscript_load(const char* path, rc_ivalue* out) {
  return guard("torchscript_load", [&] {
    std::string p(path);
    if (kind_of(p) != RC_CKPT_TORCHSCRIPT) fail(p, "not a TorchScript archive");
    auto module = with_path(p, [&] {
      try {
        return torch::jit::load(p, at::kCPU);
      } catch (const c10::Error& e) {
        throw CheckpointError("not a loadable TorchScript archive (" + short_reason(e) + ")");
      }
    });
    auto dict = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
    collect_named_tensors(module, "", dict);
    *out = wrapv(c10::IValue(dict));
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
