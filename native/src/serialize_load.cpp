// Loading checkpoints: torch.save zips and TorchScript archives, both read by the restricted
// unpickler (serialize_unpickler.cpp) with storages taken straight from the zip records. Nothing
// in a file is ever run: no Python, and no TorchScript code (torch::jit::load is not used).
// Every size is checked against the zip directory (serialize_zip.cpp) before memory is taken.
#include "common.h"
#include "serialize.h"
#include "serialize_unpickler.h"
#include <caffe2/serialize/file_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#ifdef RC_HAVE_ZLIB
#include <zlib.h>
#endif

using namespace rc;

namespace {

// data.pkl holds structure only (the tensors are separate records): a few MB for the largest
// real checkpoints. Anything bigger is refused before it is inflated.
constexpr uint64_t kMaxPickleBytes = 256ull << 20;
constexpr uint64_t kMaxSmallRecordBytes = 64;  // byteorder, version

[[noreturn]] void fail(const std::string& label, const std::string& reason) {
  throw std::runtime_error("cannot load '" + label + "': " + reason);
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
auto with_label(const std::string& label, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const CheckpointError& e) {
    fail(label, e.what());
  } catch (const c10::Error& e) {
    fail(label, "the file is corrupt or truncated (" + short_reason(e) + ")");
  }
}

std::string printable_prefix(const std::string& head) {
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

std::string read_head(const ReadAdapterInterface& in) {
  std::string head(std::min<size_t>(16, in.size()), '\0');
  head.resize(in.read(0, &head[0], head.size(), "reading the file's first bytes"));
  return head;
}

bool is_zip(const std::string& b) { return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4; }

// torch.save's legacy format starts with a pickled magic number: PROTO 2, LONG1 10 bytes.
bool is_legacy_torch(const std::string& b) {
  static const uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  return b.size() >= sizeof magic && std::memcmp(b.data(), magic, sizeof magic) == 0;
}

// CRC-32 as zip uses it (reflected polynomial 0xEDB88320): zlib's when the shim links it (about
// twice as fast), else eight bytes per table step.
uint32_t crc32_of(const uint8_t* p, size_t n) {
#ifdef RC_HAVE_ZLIB
  uLong c = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    auto step = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    c = crc32(c, p, step);
    p += step;
    n -= step;
  }
  return static_cast<uint32_t>(c);
#else
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
#endif
}

// A checkpoint file mapped copy-on-write: its stored records become tensor storages in place, so
// loading neither copies the file into fresh memory nor takes a page fault per 4 KiB of it (the
// kernel maps page-cache pages, many per fault). Writing to such a tensor copies just the pages
// written. The mapping lives while any storage uses it. Null where the file cannot be mapped.
struct Mapping {
  void* base = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (base != nullptr) munmap(base, size);
  }
};

std::shared_ptr<Mapping> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  std::shared_ptr<Mapping> m;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      madvise(p, static_cast<size_t>(st.st_size), MADV_WILLNEED);
      m = std::make_shared<Mapping>();
      m->base = p;
      m->size = static_cast<size_t>(st.st_size);
    }
  }
  ::close(fd);
  return m;
}

std::shared_ptr<ReadAdapterInterface> open_file(const std::string& path) {
  // FileAdapter's own error carries a libtorch backtrace; probe first for a plain reason.
  FILE* probe = std::fopen(path.c_str(), "rb");
  if (probe == nullptr) fail(path, std::string("cannot open the file (") + std::strerror(errno) + ")");
  std::fclose(probe);
  try {
    return std::make_shared<caffe2::serialize::FileAdapter>(path);
  } catch (const c10::Error& e) {
    fail(path, "cannot open the file (" + short_reason(e) + ")");
  }
}

// A zip checkpoint opened once: its directory, then libtorch's reader, which the directory has
// vouched for (see ZipIndex::check_openable).
class Archive {
 public:
  Archive(std::shared_ptr<ReadAdapterInterface> in, const ZipIndex& index, std::shared_ptr<Mapping> mapping)
      : in_(std::move(in)), index_(index), mapping_(std::move(mapping)),
        reader_(std::make_unique<caffe2::serialize::PyTorchStreamReader>(in_)) {}

  bool has(const std::string& name) const { return index_.find(name) != nullptr; }

  // The record's bytes, inflated only once its declared size passed `limit` and the deflate
  // ratio; libtorch skips CRC checks, so a damaged byte would load as a wrong weight. Stored
  // records of a mapped file whose data is 64-byte aligned (as torch.save writes them) are not copied.
  std::tuple<at::DataPtr, size_t> read(const std::string& name, uint64_t limit) {
    const ZipRecord* r = index_.find(name);
    if (r == nullptr) throw CheckpointError("the archive has no record " + name);
    uint64_t start = index_.check_readable(*r, limit);
    auto rec = in_place(*r, start);
    if (std::get<0>(rec).get() == nullptr) rec = reader_->getRecord(name);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // fuzzers mutate records without fixing their CRCs
    if (crc32_of(static_cast<const uint8_t*>(std::get<0>(rec).get()), std::get<1>(rec)) != r->crc)
      throw CheckpointError("the file is corrupt: record " + name + " does not match its checksum (a damaged download or disk?)");
#endif
    return rec;
  }

 private:
  std::tuple<at::DataPtr, size_t> in_place(const ZipRecord& r, uint64_t start) const {
    if (mapping_ == nullptr || r.method != 0 || r.size == 0 || mapping_->size != index_.file_size()) return {at::DataPtr(), 0};
    auto* p = static_cast<char*>(mapping_->base) + start;
    if (reinterpret_cast<uintptr_t>(p) % 64 != 0) return {at::DataPtr(), 0};
    auto* owner = new std::shared_ptr<Mapping>(mapping_);
    return {at::DataPtr(p, owner, [](void* o) { delete static_cast<std::shared_ptr<Mapping>*>(o); }, at::Device(at::kCPU)),
            static_cast<size_t>(r.size)};
  }

  std::shared_ptr<ReadAdapterInterface> in_;
  const ZipIndex& index_;
  std::shared_ptr<Mapping> mapping_;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
};

int32_t zip_kind(const ZipIndex& index) {
  index.check_openable();
  if (index.find("constants.pkl") != nullptr) return RC_CKPT_TORCHSCRIPT;
  if (index.find("data.pkl") != nullptr) return RC_CKPT_PICKLE_ZIP;
  throw CheckpointError("not a PyTorch checkpoint: a zip archive with neither data.pkl (torch.save) nor constants.pkl (TorchScript)");
}

// Storages come from "data/<key>": exactly the bytes `numel` elements need, or more.
StorageLoader storage_loader(Archive& archive) {
  return [&archive](const std::string& key, at::ScalarType dtype, int64_t numel) {
    std::string name = "data/" + key;
    if (!archive.has(name)) throw CheckpointError("the pickle refers to storage '" + key + "' but the archive has no record " + name);
    auto rec = archive.read(name, UINT64_MAX);  // as large as the file allows
    size_t need;
    if (__builtin_mul_overflow(static_cast<size_t>(numel), c10::elementSize(dtype), &need))
      throw CheckpointError("malformed checkpoint: storage '" + key + "' of " + std::to_string(numel) + " elements overflows");
    if (std::get<1>(rec) < need)
      throw CheckpointError("storage record " + name + " holds " + std::to_string(std::get<1>(rec)) + " bytes where " +
                            std::to_string(need) + " are needed (truncated or corrupt file)");
    return at::Storage(at::Storage::use_byte_size_t(), need, std::move(std::get<0>(rec)), /*allocator=*/nullptr, /*resizable=*/false);
  };
}

c10::IValue load_pickle_zip(Archive& archive) {
  if (archive.has("byteorder")) {
    auto rec = archive.read("byteorder", kMaxSmallRecordBytes);
    std::string order(static_cast<const char*>(std::get<0>(rec).get()), std::get<1>(rec));
    if (order != "little") throw CheckpointError("the checkpoint was written on a big-endian machine, which is not supported");
  }
  auto pkl = archive.read("data.pkl", kMaxPickleBytes);
  return unpickle_checkpoint(static_cast<const char*>(std::get<0>(pkl).get()), std::get<1>(pkl), storage_loader(archive));
}

c10::IValue load_torchscript(Archive& archive) {
  if (!archive.has("data.pkl"))
    throw CheckpointError("a TorchScript archive without data.pkl (written by PyTorch older than 1.4?), which is not supported");
  auto pkl = archive.read("data.pkl", kMaxPickleBytes);
  return unpickle_torchscript_tensors(static_cast<const char*>(std::get<0>(pkl).get()), std::get<1>(pkl), storage_loader(archive));
}

c10::IValue load_as(const std::shared_ptr<ReadAdapterInterface>& in, const std::string& label, int32_t want,
                    std::shared_ptr<Mapping> mapping = nullptr) {
  auto kind = checkpoint_kind(*in, label);
  if (kind == RC_CKPT_LEGACY_PICKLE)
    fail(label, "it uses the legacy torch.save format of PyTorch < 1.6, which is not supported; re-save it with a newer "
                "PyTorch: torch.save(torch.load(f), f2)");
  if (want != 0 && kind != want)
    fail(label, kind == RC_CKPT_TORCHSCRIPT ? "it is a TorchScript archive, not a torch.save file" : "not a TorchScript archive");
  return with_label(label, [&] {
    ZipIndex index(*in);
    Archive archive(in, index, std::move(mapping));
    return kind == RC_CKPT_TORCHSCRIPT ? load_torchscript(archive) : load_pickle_zip(archive);
  });
}

}  // namespace

int32_t rc::checkpoint_kind(const ReadAdapterInterface& in, const std::string& label) {
  auto head = read_head(in);
  if (head.empty()) fail(label, "the file is empty");
  if (is_zip(head)) return with_label(label, [&] { return zip_kind(ZipIndex(in)); });
  if (is_legacy_torch(head)) return RC_CKPT_LEGACY_PICKLE;
  if (static_cast<uint8_t>(head[0]) == 0x80)
    fail(label, "a plain Python pickle, not a torch.save checkpoint; load it in Python and re-save it with torch.save");
  fail(label, "not a PyTorch checkpoint: the file starts with \"" + printable_prefix(head) +
                  "\", not with a zip archive (torch.save, torch.jit.save) or a pickle");
}

c10::IValue rc::load_checkpoint(const std::shared_ptr<ReadAdapterInterface>& in, const std::string& label) {
  return load_as(in, label, 0);
}

RC_API int32_t rc_checkpoint_kind(const char* path, int32_t* kind) {
  return guard("checkpoint_kind", [&] { *kind = checkpoint_kind(*open_file(path), path); });
}

RC_API int32_t rc_pickle_load(const char* path, rc_ivalue* out) {
  return guard("load", [&] { *out = wrap_value(load_as(open_file(path), path, RC_CKPT_PICKLE_ZIP, map_file(path))); });
}

RC_API int32_t rc_torchscript_load(const char* path, rc_ivalue* out) {
  return guard("torchscript_load", [&] { *out = wrap_value(load_as(open_file(path), path, RC_CKPT_TORCHSCRIPT, map_file(path))); });
}
