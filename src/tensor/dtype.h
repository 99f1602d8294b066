// Element types fluxgen stores and computes in. Names follow safetensors ("F32", "BF16",
// "F8_E4M3" ...); NF4 and FP4 are bitsandbytes' 4-bit block formats (two codes per byte plus an
// fp32 absmax per block), which safetensors files carry as U8 tensors with side tensors. Q8_0 ...
// Q6_K are ggml's block formats as GGUF files store them (tensor/gguf_blocks.h): each block holds
// its own fp16 scales, so a tensor of them is just its raw bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fluxgen {

enum class DType : uint8_t {
  F64, F32, F16, BF16, F8_E4M3, F8_E5M2,
  I64, I32, I16, I8, U64, U32, U16, U8, BOOL,
  NF4, FP4,
  Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
};

// Bits per element (4 for NF4/FP4). GGUF block types have no whole number of bits per element
// (Q4_K: 4.5) and are refused: their sizes come from dtype_storage_bytes.
int dtype_bits(DType t);
// Bytes for n elements, rounded up (packed 4-bit formats; whole blocks for the GGUF types).
size_t dtype_storage_bytes(DType t, int64_t n);
// Elements per block: 1 for plain types, 2 for NF4/FP4 (a byte), 32 or 256 for the GGUF types.
int dtype_block_elems(DType t);
// The safetensors spelling, "NF4"/"FP4", or ggml's name ("Q4_K").
std::string_view dtype_name(DType t);
// Any name dtype_name gives, back to its dtype; nullopt for anything else. (Safetensors readers
// refuse the packed names, which are not safetensors dtypes.)
std::optional<DType> dtype_from_name(std::string_view name);
bool dtype_is_float(DType t);
bool dtype_is_quantized_block(DType t);  // NF4, FP4: packed codes plus a separate absmax tensor
bool dtype_is_gguf_block(DType t);       // Q8_0 ... Q6_K: self-contained ggml blocks
// Packed formats that are not an array of whole-byte elements (NF4, FP4 and the GGUF blocks):
// byte-moving ops (permute, slice, concat) refuse them; they are decoded, never indexed.
bool dtype_is_packed(DType t);

}  // namespace fluxgen
