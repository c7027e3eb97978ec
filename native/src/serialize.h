// Checkpoint loading from any bytes (private to the shim and its fuzzers).
#pragma once
#include <ATen/core/ivalue.h>
#include <memory>
#include <string>
#include "regionclip.h"
#include "serialize_zip.h"

namespace rc {

// What kind of checkpoint the bytes hold (RC_CKPT_*); throws for anything else. `label` names
// the file in errors, which read "cannot load '<label>': <reason>".
int32_t checkpoint_kind(const ReadAdapterInterface& in, const std::string& label);

// A torch.save file as a value tree, or a TorchScript archive as {name: tensor}.
c10::IValue load_checkpoint(const std::shared_ptr<ReadAdapterInterface>& in, const std::string& label);

inline rc_ivalue wrap_value(c10::IValue v) { return reinterpret_cast<rc_ivalue>(new c10::IValue(std::move(v))); }

}  // namespace rc
