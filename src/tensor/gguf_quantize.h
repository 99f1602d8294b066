// Encoders for GGUF's block types, the inverse of gguf_blocks' decoders: what re-quantizing a
// layer into its own GGUF type needs ("merged" LoRA over a GGUF model: decode, add the LoRA,
// encode back). Each block's scales come from its own values (the largest magnitude for the
// symmetric types, the range for those with a minimum), are rounded to the stored precision (fp16
// super-scales, 4/6/8-bit sub-scales) first, and every code is then the nearest level of the
// scale actually stored, so decoding gives back each value within half a quantization step of
// its block. These are fluxgen's own quantizers, not ggml's (whose k-quant encoders also search
// for the scale that minimises the weighted error); the decoders, not these, are bit-exact.
#pragma once
#include <cstdint>

#include "tensor/gguf_blocks.h"

namespace fluxgen::gguf {

// Encodes nblocks * block_elems floats (finite) into nblocks whole blocks of t (a block-quantized
// type) at `out`.
void quantize_blocks(GgmlType t, const float* x, int64_t nblocks, uint8_t* out);

}  // namespace fluxgen::gguf
