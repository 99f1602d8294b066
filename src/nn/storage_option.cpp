#include "nn/storage_option.h"

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
struct Alias {
  std::string_view name;
  std::optional<DType> dtype;
};
// Accepted spellings, compared case-insensitively after removing the "(fp16 LoRA)" suffix.
constexpr Alias kAliases[] = {
    {"auto", std::nullopt},          {"automatic", std::nullopt},     {"default", std::nullopt},
    {"fp32", DType::F32},            {"float32", DType::F32},         {"f32", DType::F32},
    {"bf16", DType::BF16},           {"bfloat16", DType::BF16},
    {"fp16", DType::F16},            {"float16", DType::F16},         {"f16", DType::F16},
    {"fp8-e4m3fn", DType::F8_E4M3},  {"float8-e4m3fn", DType::F8_E4M3}, {"fp8", DType::F8_E4M3},
    {"float8_e4m3fn", DType::F8_E4M3}, {"fp8_e4m3fn", DType::F8_E4M3}, {"e4m3fn", DType::F8_E4M3},
    {"fp8-e5m2", DType::F8_E5M2},    {"float8-e5m2", DType::F8_E5M2}, {"float8_e5m2", DType::F8_E5M2},
    {"fp8_e5m2", DType::F8_E5M2},    {"e5m2", DType::F8_E5M2},
    {"nf4", DType::NF4},             {"bnb-nf4", DType::NF4},
    {"fp4", DType::FP4},             {"bnb-fp4", DType::FP4},
};
}  // namespace

std::vector<std::string> storage_option_names() {
  return {"auto", "bf16", "fp16", "fp32", "fp8-e4m3fn", "fp8-e5m2", "nf4", "fp4", "Automatic", "bnb-nf4",
          "bnb-fp4", "float8-e4m3fn", "float8-e5m2", "and each with \" (fp16 LoRA)\" or \" (merged LoRA)\""};
}

std::string forge_storage_label(std::optional<DType> dtype, LoraMode mode) {
  std::string base;
  if (!dtype) {
    base = "Automatic";
  } else {
    switch (*dtype) {
      case DType::NF4: base = "bnb-nf4"; break;
      case DType::FP4: base = "bnb-fp4"; break;
      case DType::F8_E4M3: base = "float8-e4m3fn"; break;
      case DType::F8_E5M2: base = "float8-e5m2"; break;
      case DType::BF16: base = "bf16"; break;
      case DType::F16: base = "fp16"; break;
      default: base = "fp32"; break;
    }
  }
  if (mode == LoraMode::Online) return base + " (fp16 LoRA)";
  if (mode == LoraMode::Requantize) return base + " (merged LoRA)";
  return base;
}

StorageOption parse_storage_option(std::string_view text) {
  std::string s = to_lower(trim(text));
  StorageOption out;
  for (std::string_view suffix : {"(fp16 lora)", "(bf16 lora)", "(online lora)"}) {
    if (ends_with(s, suffix)) {
      s = trim(s.substr(0, s.size() - suffix.size()));
      out.lora_mode = LoraMode::Online;
    }
  }
  if (ends_with(s, "(merged lora)") && out.lora_mode == LoraMode::Merged) {
    s = trim(s.substr(0, s.size() - std::string_view("(merged lora)").size()));
    out.lora_mode = LoraMode::Requantize;
  }
  for (const Alias& a : kAliases) {
    if (s == a.name) {
      out.dtype = a.dtype;
      out.label = forge_storage_label(out.dtype, out.lora_mode);
      return out;
    }
  }
  fail("unknown weight storage \"", text, "\"; use one of: ", join(storage_option_names(), ", "));
}

}  // namespace fluxgen
