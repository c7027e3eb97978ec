// Fuzz target: bytes as a checkpoint file, as rc_pickle_load / rc_torchscript_load read one.
// An input that starts with a pickle's PROTO opcode (0x80) is instead a data.pkl on its own,
// read with zero-filled storages (as a TorchScript one when it names a `__torch__` class): the
// zip layer would otherwise reject most length-changing mutations of the pickle.
// After a successful load the value is walked as the C# side converts it, every tensor's last
// element is read (ASan checks it lies in its storage), and the value is freed.
#include "serialize.h"
#include "serialize_unpickler.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <cstring>

namespace {

void touch(const at::Tensor& t) {
  if (t.numel() == 0) return;
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
  auto* base = static_cast<const volatile uint8_t*>(t.storage().data());
  (void)base[(last + 1) * int64_t(t.element_size()) - 1];
}

// Recursion as deep as the value: the loader must have bounded it.
void walk(const c10::IValue& v) {
  if (v.isTensor()) touch(v.toTensor());
  else if (v.isList()) for (const auto& x : v.toListRef()) walk(x);
  else if (v.isTuple()) for (const auto& x : v.toTupleRef().elements()) walk(x);
  else if (v.isGenericDict())
    for (const auto& e : v.toGenericDict()) {
      walk(e.key());
      walk(e.value());
    }
}

c10::IValue load_pickle(const uint8_t* data, size_t size) {
  rc::StorageLoader zeros = [](const std::string&, at::ScalarType dtype, int64_t numel) {
    if (numel > (1 << 20)) throw rc::CheckpointError("fuzz: storage too large");
    return at::zeros({numel}, at::TensorOptions().dtype(dtype)).storage();
  };
  auto p = reinterpret_cast<const char*>(data);
  static const char marker[] = "__torch__";
  bool script = std::search(p, p + size, marker, marker + sizeof marker - 1) != p + size;
  if (script) return rc::unpickle_torchscript_tensors(p, size, zeros);
  return rc::unpickle_checkpoint(p, size, zeros);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    c10::IValue v = size > 0 && data[0] == 0x80
                        ? load_pickle(data, size)
                        : rc::load_checkpoint(std::make_shared<rc::MemoryAdapter>(data, size), "fuzz.pt");
    walk(v);
  } catch (const std::exception&) {
    // A refusal is the expected outcome for most inputs; only crashes, leaks and hangs count.
  }
  return 0;
}
