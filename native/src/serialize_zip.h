// The zip layer of checkpoints, read by the shim itself before libtorch's reader sees the file
// (private to serialize*.cpp and the fuzzers).
#pragma once
#include <caffe2/serialize/read_adapter_interface.h>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>
#include "checkpoint_error.h"

namespace rc {

using caffe2::serialize::ReadAdapterInterface;

// Bytes in memory, for checkpoints that are not files (the fuzzers).
class MemoryAdapter final : public ReadAdapterInterface {
 public:
  MemoryAdapter(const void* data, size_t size) : data_(static_cast<const char*>(data)), size_(size) {}
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void* buf, size_t n, const char* what = "") const override;

 private:
  const char* data_;
  size_t size_;
};

struct ZipRecord {
  std::string name;         // full name in the archive
  uint64_t size = 0;        // declared size once inflated
  uint64_t compressed = 0;  // bytes stored
  uint64_t header = 0;      // offset of its local header
  uint32_t crc = 0;
  uint16_t method = 0;      // 0 stored, 8 deflated
  uint16_t flags = 0;
  bool directory = false;   // as miniz tells: a name ending in '/' or the DOS directory attribute
};

// The central directory of a zip archive, parsed the way libtorch's miniz parses it but without
// inflating anything. It exists for two reasons: libtorch gives no record's size before inflating
// the whole record into memory, and PyTorchStreamReader leaks its miniz state whenever its
// constructor throws after the directory was read (no version record, a bad version), so those
// archives must be refused before it is constructed.
class ZipIndex {
 public:
  // Throws CheckpointError when the directory is missing or malformed.
  explicit ZipIndex(const ReadAdapterInterface& in);

  // A record in the archive's folder (the first record's folder, as libtorch takes it), looked
  // up case-insensitively as miniz does; null when absent.
  const ZipRecord* find(const std::string& name) const;
  // Throws unless PyTorchStreamReader's constructor will succeed on this archive.
  void check_openable() const;
  // Throws unless the record may be inflated into memory: at most `limit` bytes, and no more
  // than deflate can produce from the bytes stored (a lying size is a corrupt file). Returns the
  // offset of its first byte (data_offset, which it has read to check the local header).
  uint64_t check_readable(const ZipRecord& r, uint64_t limit) const;
  // Offset of the record's first byte, after its local header; throws when it leaves the file.
  uint64_t data_offset(const ZipRecord& r) const;
  uint64_t file_size() const { return size_; }

 private:
  struct Directory {
    uint64_t entries, offset, size;
  };
  Directory read_end_record() const;
  void read_directory(const Directory& dir);
  void add(ZipRecord r);
  std::string read_bytes(uint64_t pos, size_t n) const;

  const ReadAdapterInterface& in_;
  uint64_t size_;
  std::vector<ZipRecord> records_;
  std::unordered_map<std::string, size_t> by_name_;  // lower-cased name -> index in records_
  std::string folder_;                               // "<archive>/"
};

}  // namespace rc
