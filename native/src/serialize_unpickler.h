// A restricted pickle reader for torch.save checkpoints (private to serialize.cpp).
#pragma once
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <functional>
#include <stdexcept>
#include <string>

namespace rc {

// Thrown for anything the reader will not or cannot load; the message is the reason only
// (the caller adds the file name).
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Returns the bytes of storage `key` (the record "data/<key>") holding `numel` elements of `dtype`.
using StorageLoader = std::function<at::Storage(const std::string& key, at::ScalarType dtype, int64_t numel)>;

// Reads the data.pkl stream of a torch.save zip without running Python: only tensor rebuild
// functions, storage types and plain containers may be named; anything else (os.system,
// builtins.eval, arbitrary classes) is refused when its global is read, before any call.
// OrderedDicts (state dicts) become dicts; their attributes (_metadata) are dropped.
c10::IValue unpickle_checkpoint(const char* data, size_t size, const StorageLoader& load_storage);

}  // namespace rc
