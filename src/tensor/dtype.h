// Element types fluxgen stores and computes in. Names follow safetensors ("F32", "BF16",
// "F8_E4M3" ...); NF4 and FP4 are bitsandbytes' 4-bit block formats (two codes per byte plus an
// fp32 absmax per block), which safetensors files carry as U8 tensors with side tensors.
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
};

// Bits per element (4 for NF4/FP4).
int dtype_bits(DType t);
// Bytes for n elements, rounded up (packed 4-bit formats).
size_t dtype_storage_bytes(DType t, int64_t n);
// The safetensors spelling, or "NF4"/"FP4".
std::string_view dtype_name(DType t);
// Parses the safetensors spelling; nullopt for anything else.
std::optional<DType> dtype_from_name(std::string_view name);
bool dtype_is_float(DType t);
bool dtype_is_quantized_block(DType t);  // NF4, FP4

}  // namespace fluxgen
