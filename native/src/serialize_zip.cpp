// The zip layer of checkpoints: the central directory read as miniz (inside libtorch) reads it,
// so that sizes can be checked before anything is inflated and archives that would make
// PyTorchStreamReader's constructor throw (and leak) are refused before it runs.
#include "serialize_zip.h"
#include <caffe2/serialize/versions.h>
#include <algorithm>
#include <cstring>

namespace rc {
namespace {

constexpr uint32_t kEndSig = 0x06054b50, kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kEntrySig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEndSize = 22, kZip64EndSize = 56, kZip64LocatorSize = 20, kEntrySize = 46, kLocalSize = 30;
constexpr uint32_t kMax32 = 0xffffffffu;
// A directory this large would list millions of tensors; real ones are a few hundred KB.
constexpr uint64_t kMaxDirectoryBytes = 256ull << 20;
// Deflate emits at most 258 bytes per 2 bits of input: a stream can grow about 1032-fold.
constexpr uint64_t kMaxDeflateRatio = 1032;
// Encrypted, compressed-patch and strongly encrypted entries: miniz refuses to read them.
constexpr uint16_t kUnreadableFlags = 0x0001 | 0x0020 | 0x0040;

uint16_t le16(const char* p) { return uint16_t(uint8_t(p[0]) | uint8_t(p[1]) << 8); }
uint32_t le32(const char* p) { return uint32_t(le16(p)) | uint32_t(le16(p + 2)) << 16; }
uint64_t le64(const char* p) { return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32; }

[[noreturn]] void corrupt(const std::string& what) {
  throw CheckpointError("the file is corrupt: its zip directory is malformed (" + what + ")");
}

[[noreturn]] void foreign(const std::string& why) {
  throw CheckpointError("not a PyTorch checkpoint: a zip archive that torch.save did not write (" + why + ")");
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');  // ASCII only, as miniz compares names
  return s;
}

// Reads the zip64 sizes and offset of a directory entry where the 32-bit fields say 0xffffffff,
// exactly as miniz does (the first zip64 field wins; a malformed extra field is an error).
void read_zip64_extra(const char* extra, size_t n, ZipRecord& r) {
  if (std::max({r.size, r.compressed, r.header}) != kMax32) return;
  while (n > 0) {
    if (n < 4) corrupt("a truncated extra field");
    uint16_t id = le16(extra), len = le16(extra + 2);
    if (size_t(len) + 4 > n) corrupt("an extra field longer than its entry");
    if (id == 0x0001) {
      const char* f = extra + 4;
      size_t left = len;
      for (uint64_t* v : {&r.size, &r.compressed, &r.header}) {
        if (*v != kMax32) continue;
        if (left < 8) corrupt("a short zip64 field");
        *v = le64(f);
        f += 8;
        left -= 8;
      }
      return;
    }
    extra += 4 + len;
    n -= 4 + size_t(len);
  }
}

}  // namespace

size_t MemoryAdapter::read(uint64_t pos, void* buf, size_t n, const char*) const {
  if (pos >= size_) return 0;
  n = std::min<uint64_t>(n, size_ - pos);
  std::memcpy(buf, data_ + pos, n);
  return n;
}

ZipIndex::ZipIndex(const ReadAdapterInterface& in) : in_(in), size_(in.size()) {
  read_directory(read_end_record());
}

std::string ZipIndex::read_bytes(uint64_t pos, size_t n) const {
  std::string s(n, '\0');
  if (pos > size_ || size_ - pos < n || in_.read(pos, &s[0], n, "reading the zip directory") != n)
    throw CheckpointError("the file is truncated: the zip directory points past its end");
  return s;
}

// The end-of-central-directory record, and its zip64 twin when a locator precedes it.
ZipIndex::Directory ZipIndex::read_end_record() const {
  auto missing = [] {
    throw CheckpointError("the file is truncated or corrupt: it starts like a zip archive but its zip directory is missing "
                          "(an interrupted download or save?)");
  };
  if (size_ < kEndSize) missing();
  uint64_t tail_size = std::min<uint64_t>(size_, 0xffff + kEndSize + 4096);
  auto tail = read_bytes(size_ - tail_size, size_t(tail_size));
  size_t at = std::string::npos;
  for (size_t i = tail.size() - kEndSize + 1; i-- > 0;)  // the last signature with a whole record after it
    if (le32(&tail[i]) == kEndSig) {
      at = i;
      break;
    }
  if (at == std::string::npos) missing();
  uint64_t end_pos = size_ - tail_size + at;
  const char* e = &tail[at];
  Directory d{le16(e + 10), le32(e + 16), le32(e + 12)};
  uint64_t on_disk = le16(e + 8), disk = le16(e + 4), dir_disk = le16(e + 6);
  if (end_pos >= kZip64LocatorSize + kZip64EndSize) {
    auto loc = read_bytes(end_pos - kZip64LocatorSize, kZip64LocatorSize);
    if (le32(&loc[0]) == kZip64LocatorSig) {
      uint64_t z = le64(&loc[8]);
      if (z > size_ - kZip64EndSize) corrupt("the zip64 record lies past the end of the file");
      auto z64 = read_bytes(z, kZip64EndSize);
      if (le32(&z64[0]) == kZip64EndSig) {
        if (le64(&z64[4]) < kZip64EndSize - 12) corrupt("a short zip64 record");
        if (le32(&loc[16]) != 1) corrupt("a multi-disk archive");
        d = {le64(&z64[32]), le64(&z64[48]), le64(&z64[40])};
        on_disk = le64(&z64[24]);
        disk = le32(&z64[16]);
        dir_disk = le32(&z64[20]);
        if (d.entries > kMax32 || on_disk > kMax32 || d.size > kMax32) corrupt("too many entries");
      }
    }
  }
  if (d.entries != on_disk || ((disk | dir_disk) != 0 && (disk != 1 || dir_disk != 1))) corrupt("a multi-disk archive");
  if (d.size < d.entries * kEntrySize || d.offset > size_ || d.size > size_ - d.offset) corrupt("its size or place is impossible");
  if (d.size > kMaxDirectoryBytes) corrupt("it is larger than " + std::to_string(kMaxDirectoryBytes >> 20) + " MB");
  return d;
}

void ZipIndex::read_directory(const Directory& dir) {
  auto bytes = read_bytes(dir.offset, size_t(dir.size));
  const char* p = bytes.data();
  size_t left = bytes.size();
  records_.reserve(size_t(dir.entries));
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (left < kEntrySize || le32(p) != kEntrySig) corrupt("entry " + std::to_string(i) + " is damaged");
    size_t name_len = le16(p + 28), extra_len = le16(p + 30), total = kEntrySize + name_len + extra_len + le16(p + 32);
    if (total > left) corrupt("entry " + std::to_string(i) + " runs past the directory");
    ZipRecord r;
    r.flags = le16(p + 8);
    r.method = le16(p + 10);
    r.crc = le32(p + 16);
    r.compressed = le32(p + 20);
    r.size = le32(p + 24);
    r.header = le32(p + 42);
    r.name.assign(p + kEntrySize, name_len);
    r.directory = (!r.name.empty() && r.name.back() == '/') || (le32(p + 38) & 0x10) != 0;
    bool sized = r.compressed != kMax32 && r.size != kMax32;
    if (sized && ((r.method == 0 && r.size != r.compressed) || (r.size != 0 && r.compressed == 0)))
      corrupt("record " + r.name + " has inconsistent sizes");
    uint16_t disk = le16(p + 34);
    if (disk == 0xffff || (disk != 0 && disk != 1)) corrupt("a multi-disk archive");
    if (r.compressed != kMax32 && r.header + kLocalSize + r.compressed > size_) corrupt("record " + r.name + " lies past the end of the file");
    if (r.flags & 0x2000) corrupt("its directory is encrypted");
    read_zip64_extra(p + kEntrySize + name_len, extra_len, r);
    add(std::move(r));
    p += total;
    left -= total;
  }
  if (!records_.empty()) {
    auto slash = records_[0].name.find('/');
    if (slash != std::string::npos) folder_ = records_[0].name.substr(0, slash + 1);
  }
}

// Two records of one name (ignoring case) would let miniz read another than the one checked here.
void ZipIndex::add(ZipRecord r) {
  if (!by_name_.emplace(lower(r.name), records_.size()).second) corrupt("it lists record " + r.name + " twice");
  records_.push_back(std::move(r));
}

const ZipRecord* ZipIndex::find(const std::string& name) const {
  auto it = by_name_.find(lower(folder_ + name));
  return it == by_name_.end() ? nullptr : &records_[it->second];
}

uint64_t ZipIndex::data_offset(const ZipRecord& r) const {
  auto local = read_bytes(r.header, kLocalSize);
  if (le32(&local[0]) != kLocalSig) throw CheckpointError("the file is corrupt: record " + r.name + " has no local header");
  uint64_t start = r.header + kLocalSize + le16(&local[26]) + le16(&local[28]);
  if (start > size_ || r.compressed > size_ - start) throw CheckpointError("the file is truncated: record " + r.name + " runs past its end");
  return start;
}

uint64_t ZipIndex::check_readable(const ZipRecord& r, uint64_t limit) const {
  // miniz "reads" a directory, or an empty stream, by leaving the buffer as malloc gave it.
  if (r.directory) throw CheckpointError("the file is corrupt: record " + r.name + " is marked as a folder");
  if (r.size > 0 && r.compressed == 0) corrupt("record " + r.name + " has data but no bytes");
  if (r.flags & kUnreadableFlags) throw CheckpointError("record " + r.name + " is encrypted, which torch.save never does");
  if (r.method != 0 && r.method != 8)
    throw CheckpointError("record " + r.name + " uses zip compression method " + std::to_string(r.method) + ", which libtorch cannot read");
  if (r.method == 0 && r.size != r.compressed) corrupt("record " + r.name + " has inconsistent sizes");
  if (r.size > limit)
    throw CheckpointError("refused: record " + r.name + " unpacks to " + std::to_string(r.size) + " bytes, more than the " +
                          std::to_string(limit) + " any real checkpoint needs (a decompression bomb?)");
  if (r.method == 8 && r.size / kMaxDeflateRatio > r.compressed)
    throw CheckpointError("the file is corrupt: record " + r.name + " claims " + std::to_string(r.size) + " bytes from " +
                          std::to_string(r.compressed) + " compressed bytes, more than deflate can produce");
  return data_offset(r);
}

// PyTorchStreamReader's constructor needs a folder for the first record and a readable version
// record holding a version it supports; when any is missing it throws after miniz has allocated
// its state, which then leaks. The version record is read here exactly as it parses it (stoull).
void ZipIndex::check_openable() const {
  if (records_.empty()) throw CheckpointError("not a PyTorch checkpoint: an empty zip archive");
  if (folder_.empty()) foreign("its first record '" + records_[0].name + "' is not in a folder");
  if (folder_.size() > 4096) corrupt("a folder name of " + std::to_string(folder_.size()) + " bytes");
  const ZipRecord* v = find(".data/version");
  if (v == nullptr) v = find("version");
  if (v == nullptr) foreign("it has no version record");
  uint64_t start = check_readable(*v, 64);
  if (v->method != 0) foreign("its version record is compressed");
  auto text = read_bytes(start, size_t(v->size));
  size_t i = 0;
  while (i < text.size() && std::strchr(" \t\n\v\f\r", text[i]) != nullptr && text[i] != '\0') ++i;
  uint64_t version = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 19; ++i, ++digits) version = version * 10 + uint64_t(text[i] - '0');
  bool more = i < text.size() && text[i] >= '0' && text[i] <= '9';
  if (digits == 0 || more) foreign("its version record does not hold a number");
  using caffe2::serialize::kMaxSupportedFileFormatVersion;
  using caffe2::serialize::kMinSupportedFileFormatVersion;
  if (version < kMinSupportedFileFormatVersion || version > kMaxSupportedFileFormatVersion)
    throw CheckpointError("the archive's format version " + std::to_string(version) + " is not one this libtorch reads (" +
                          std::to_string(kMinSupportedFileFormatVersion) + " to " + std::to_string(kMaxSupportedFileFormatVersion) +
                          "); was it written by a newer PyTorch?");
}

}  // namespace rc
