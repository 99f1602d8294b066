// The weight-storage choice a user makes: fluxgen's names (bf16, fp16, fp32, fp8-e4m3fn,
// fp8-e5m2, nf4, fp4, auto) and Forge's "Diffusion in Low Bits" labels as given ("bnb-nf4",
// "float8-e4m3fn (fp16 LoRA)", "Automatic", ...). The "(fp16 LoRA)" suffix selects online LoRA;
// fluxgen's "(merged LoRA)" merges into GGUF layers too, re-quantizing them.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/dtype.h"

namespace fluxgen {

// Merged: added into each weight and stored again in the layer's dtype (nf4, fp8, ...), except
// layers kept in a GGUF block type, which take it online as ComfyUI-GGUF and Forge do. Online:
// computed beside the layer at run time ("fp16 LoRA"). Requantize: merged everywhere, GGUF layers
// decoded, merged and encoded back into their own block type.
enum class LoraMode { Merged, Online, Requantize };

struct StorageOption {
  std::optional<DType> dtype;  // nullopt = automatic: keep each weight as the file stores it
  LoraMode lora_mode = LoraMode::Merged;
  std::string label;  // Forge's spelling, for infotexts: "bnb-nf4 (fp16 LoRA)"
};

// Throws an Error listing the accepted names for anything else.
StorageOption parse_storage_option(std::string_view text);
// Forge's label for a storage dtype and LoRA mode ("float8-e4m3fn (fp16 LoRA)").
std::string forge_storage_label(std::optional<DType> dtype, LoraMode mode);
std::vector<std::string> storage_option_names();

}  // namespace fluxgen
