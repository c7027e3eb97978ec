// Fuzz target: bytes as an image, as rc_image_decode reads one (JPEG or PNG by magic bytes).
#include "common.h"
#include <ATen/Parallel.h>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  // The limit itself is tested elsewhere; at PIL's 179 M pixels a few valid-looking inputs take
  // seconds each and starve the search.
  rc_image_set_max_pixels(16 << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int32_t flags = size % 2 == 0 ? 0 : RC_IMAGE_KEEP_ORIENTATION;  // both paths, one decode per input
  rc_tensor out = nullptr;
  if (rc_image_decode(data, int64_t(size), "fuzz", flags, &out) != RC_OK) return 0;
  const at::Tensor& t = rc::T(out);
  if (t.dim() != 3 || t.size(2) != 3 || !t.is_contiguous()) __builtin_trap();  // the contract
  volatile uint8_t last = t.data_ptr<uint8_t>()[t.numel() - 1];
  (void)last;
  delete reinterpret_cast<at::Tensor*>(out);
  rc::live_tensors.fetch_sub(1);
  return 0;
}
