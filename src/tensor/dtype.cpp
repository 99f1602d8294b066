#include "tensor/dtype.h"

#include "util/error.h"

namespace fluxgen {

namespace {
struct DTypeInfo {
  DType type;
  std::string_view name;
  int bits;
};
constexpr DTypeInfo kInfo[] = {
    {DType::F64, "F64", 64},        {DType::F32, "F32", 32},         {DType::F16, "F16", 16},
    {DType::BF16, "BF16", 16},      {DType::F8_E4M3, "F8_E4M3", 8},  {DType::F8_E5M2, "F8_E5M2", 8},
    {DType::I64, "I64", 64},        {DType::I32, "I32", 32},         {DType::I16, "I16", 16},
    {DType::I8, "I8", 8},           {DType::U64, "U64", 64},         {DType::U32, "U32", 32},
    {DType::U16, "U16", 16},        {DType::U8, "U8", 8},            {DType::BOOL, "BOOL", 8},
    {DType::NF4, "NF4", 4},         {DType::FP4, "FP4", 4},
};

const DTypeInfo& info(DType t) {
  for (const auto& i : kInfo)
    if (i.type == t) return i;
  fail("internal: unknown dtype ", static_cast<int>(t));
}
}  // namespace

int dtype_bits(DType t) { return info(t).bits; }

size_t dtype_storage_bytes(DType t, int64_t n) {
  return (static_cast<size_t>(n) * static_cast<size_t>(dtype_bits(t)) + 7) / 8;
}

std::string_view dtype_name(DType t) { return info(t).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name) return i.type;
  return std::nullopt;
}

bool dtype_is_float(DType t) {
  switch (t) {
    case DType::F64: case DType::F32: case DType::F16: case DType::BF16:
    case DType::F8_E4M3: case DType::F8_E5M2: case DType::NF4: case DType::FP4:
      return true;
    default:
      return false;
  }
}

bool dtype_is_quantized_block(DType t) { return t == DType::NF4 || t == DType::FP4; }

}  // namespace fluxgen
