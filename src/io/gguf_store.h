// A GGUF file (io/gguf.h) as a TensorStore: every tensor a zero-copy view of its bytes in the
// mapping, in its own type (Q4_K stays Q4_K; the CPU backend decodes a band of rows at a time),
// with its dims reversed into a row-major shape. Names are presented as the safetensors versions
// of the same models name them, the way ComfyUI-GGUF loads them:
// - image models (city96's FLUX conversions, general.architecture "flux") already use the BFL
//   names; a "model.diffusion_model." prefix, when the file has one, is dropped;
// - T5 encoders (general.architecture "t5" or "t5encoder", llama.cpp's names such as
//   enc.blk.0.attn_q.weight) are renamed to Hugging Face's (encoder.block.0.layer.0.SelfAttention.q.weight).
// A metadata array comfy.gguf.orig_shape.<name> (INT32) overrides a tensor's shape when it holds
// the same number of elements.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/tensor_store.h"

namespace fluxgen {

// Throws naming the file and the problem (the reader's validation, a bad orig_shape, two tensors
// that map to one name).
std::shared_ptr<TensorStore> open_gguf_store(const std::string& path);

// The substitutions t5_name_from_llama applies, in order (llama.cpp's part, Hugging Face's part).
const std::vector<std::pair<std::string_view, std::string_view>>& t5_llama_name_map();
// llama.cpp's T5 tensor name as Hugging Face's T5EncoderModel spells it ("token_embd.weight" ->
// "shared.weight"); names outside the mapping come back unchanged.
std::string t5_name_from_llama(const std::string& name);

}  // namespace fluxgen
