#include "tensor/dtype.h"

#include "tensor/gguf_blocks.h"
#include "util/error.h"

namespace fluxgen {

namespace {
// A dtype's storage: `block_bytes` bytes hold `block_elems` elements (1 element of 4 bytes for
// F32, 2 elements per byte for NF4, 256 elements in 144 bytes for Q4_K).
struct DTypeInfo {
  DType type;
  std::string_view name;
  int block_elems;
  int block_bytes;
};
// The GGUF rows take their sizes from gguf_blocks.h's block structs, the one statement of them.
constexpr DTypeInfo kInfo[] = {
    {DType::F64, "F64", 1, 8},       {DType::F32, "F32", 1, 4},         {DType::F16, "F16", 1, 2},
    {DType::BF16, "BF16", 1, 2},     {DType::F8_E4M3, "F8_E4M3", 1, 1}, {DType::F8_E5M2, "F8_E5M2", 1, 1},
    {DType::I64, "I64", 1, 8},       {DType::I32, "I32", 1, 4},         {DType::I16, "I16", 1, 2},
    {DType::I8, "I8", 1, 1},         {DType::U64, "U64", 1, 8},         {DType::U32, "U32", 1, 4},
    {DType::U16, "U16", 1, 2},       {DType::U8, "U8", 1, 1},           {DType::BOOL, "BOOL", 1, 1},
    {DType::NF4, "NF4", 2, 1},       {DType::FP4, "FP4", 2, 1},
    {DType::Q8_0, "Q8_0", gguf::kQK, sizeof(gguf::BlockQ8_0)},
    {DType::Q4_0, "Q4_0", gguf::kQK, sizeof(gguf::BlockQ4_0)},
    {DType::Q4_1, "Q4_1", gguf::kQK, sizeof(gguf::BlockQ4_1)},
    {DType::Q5_0, "Q5_0", gguf::kQK, sizeof(gguf::BlockQ5_0)},
    {DType::Q5_1, "Q5_1", gguf::kQK, sizeof(gguf::BlockQ5_1)},
    {DType::Q2_K, "Q2_K", gguf::kQK_K, sizeof(gguf::BlockQ2_K)},
    {DType::Q3_K, "Q3_K", gguf::kQK_K, sizeof(gguf::BlockQ3_K)},
    {DType::Q4_K, "Q4_K", gguf::kQK_K, sizeof(gguf::BlockQ4_K)},
    {DType::Q5_K, "Q5_K", gguf::kQK_K, sizeof(gguf::BlockQ5_K)},
    {DType::Q6_K, "Q6_K", gguf::kQK_K, sizeof(gguf::BlockQ6_K)},
};

const DTypeInfo& info(DType t) {
  for (const auto& i : kInfo)
    if (i.type == t) return i;
  fail("internal: unknown dtype ", static_cast<int>(t));
}
}  // namespace

int dtype_bits(DType t) {
  const DTypeInfo& i = info(t);
  check(!dtype_is_gguf_block(t), "internal: ", i.name, " has no whole number of bits per element");
  return i.block_bytes * 8 / i.block_elems;
}

size_t dtype_storage_bytes(DType t, int64_t n) {
  const DTypeInfo& i = info(t);
  const size_t blocks = (static_cast<size_t>(n) + static_cast<size_t>(i.block_elems) - 1) / static_cast<size_t>(i.block_elems);
  return blocks * static_cast<size_t>(i.block_bytes);
}

int dtype_block_elems(DType t) { return info(t).block_elems; }

std::string_view dtype_name(DType t) { return info(t).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name) return i.type;
  return std::nullopt;
}

bool dtype_is_float(DType t) {
  switch (t) {
    case DType::F64: case DType::F32: case DType::F16: case DType::BF16:
    case DType::F8_E4M3: case DType::F8_E5M2:
      return true;
    default:
      return dtype_is_packed(t);
  }
}

bool dtype_is_quantized_block(DType t) { return t == DType::NF4 || t == DType::FP4; }

bool dtype_is_gguf_block(DType t) {
  switch (t) {
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      return true;
    default:
      return false;
  }
}

bool dtype_is_packed(DType t) { return dtype_is_quantized_block(t) || dtype_is_gguf_block(t); }

}  // namespace fluxgen
