// The one error type of the checkpoint reader (private to serialize*.cpp).
#pragma once
#include <stdexcept>

namespace rc {

// Thrown for anything the reader will not or cannot load; the message is the reason only
// (the caller adds the file name).
struct CheckpointError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace rc
