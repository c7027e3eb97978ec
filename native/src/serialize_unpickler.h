// A restricted pickle reader for torch.save checkpoints (private to serialize.cpp).
#pragma once
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>
#include <functional>
#include <string>
#include "checkpoint_error.h"

namespace rc {

// Returns the bytes of storage `key` (the record "data/<key>") holding `numel` elements of `dtype`.
using StorageLoader = std::function<at::Storage(const std::string& key, at::ScalarType dtype, int64_t numel)>;

// Reads the data.pkl stream of a torch.save zip without running Python: only tensor rebuild
// functions, storage types and plain containers may be named; anything else (os.system,
// builtins.eval, arbitrary classes) is refused when its global is read, before any call.
// OrderedDicts (state dicts) become dicts; their attributes (_metadata) are dropped.
c10::IValue unpickle_checkpoint(const char* data, size_t size, const StorageLoader& load_storage);

// Reads the data.pkl of a TorchScript archive (torch.jit.save) the same way, running none of
// the archive's code: its module objects (classes named `__torch__.*`) are plain attribute
// containers. Returns every tensor attribute by dotted name in state_dict order (a module's own
// tensors, then its submodules'), detached. Parameters and buffers cannot be told apart in
// data.pkl, so plain tensor attributes of a module are included too.
c10::impl::GenericDict unpickle_torchscript_tensors(const char* data, size_t size, const StorageLoader& load_storage);

}  // namespace rc
