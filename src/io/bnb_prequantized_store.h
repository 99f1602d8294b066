// Files quantized ahead of time by bitsandbytes (Forge's flux1-dev-bnb-nf4(-v2).safetensors):
// each quantized weight W is a U8 tensor of packed codes with companions W.absmax, W.quant_map,
// W.quant_state.bitsandbytes__nf4 (JSON bytes: shape, dtype, blocksize, quant_type) and, with
// double quantization (v1), W.nested_absmax, W.nested_quant_map plus nested_offset in the JSON.
// This store wraps such a file so W reads as an NF4/FP4 tensor of its real shape, used as is
// (never re-quantized), and the companion keys disappear from the listing.
#pragma once
#include <memory>

#include "io/tensor_store.h"

namespace fluxgen {

// True when any tensor in the store carries a bitsandbytes quant state.
bool has_bnb_quant_state(const TensorStore& store);
// Wraps the store when it holds bnb quant states; returns it unchanged otherwise.
std::shared_ptr<TensorStore> wrap_bnb_prequantized(std::shared_ptr<TensorStore> store);

}  // namespace fluxgen
