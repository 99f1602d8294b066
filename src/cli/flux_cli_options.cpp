#include "cli/flux_cli_options.h"

#include <cstdio>

#include "io/json.h"
#include "io/mapped_file.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "lora/lora_request.h"
#include "nn/storage_option.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::cli {

void add_flux_model_options(CLI::App& cmd, FluxEvalOptions& opt) {
  cmd.add_option("--weights", opt.weights, "FLUX transformer: BFL, diffusers or all-in-one .safetensors, a GGUF (.gguf), or a folder")
      ->required();
  cmd.add_option("--storage", opt.storage,
                 "Weight storage: auto, bf16, fp16, fp32, fp8-e4m3fn, fp8-e5m2, nf4, fp4, or Forge's labels "
                 "(\"bnb-nf4 (fp16 LoRA)\", ...)")
      ->capture_default_str();
  cmd.add_option("--model-config", opt.model_config, "JSON file with FluxParams overriding the inferred configuration");
  cmd.add_option("--lora", opt.loras, "LoRA file with its weight, FILE:WEIGHT (repeatable)");
  cmd.add_option("--lora-mode", opt.lora_mode,
                 "merged (fp32 merge, re-quantized; layers kept in a GGUF type stay online), requantize (merged "
                 "into GGUF layers too) or online (added at each use); default: the storage label's (\"(fp16 "
                 "LoRA)\": online, \"(merged LoRA)\": requantize, else merged)")
      ->check(CLI::IsMember({"merged", "online", "requantize"}));
}

std::unique_ptr<flux::FluxModel> load_flux_for_eval(const FluxEvalOptions& opt) {
  const StorageOption storage = parse_storage_option(opt.storage);
  json::Value override_json;
  flux::FluxLoadOptions load;
  load.storage = storage.dtype;
  if (!opt.model_config.empty()) {
    override_json = json::parse(read_text_file(opt.model_config), opt.model_config);
    load.config_override = &override_json;
  }
  auto model = flux::FluxModel::load(open_tensor_store(opt.weights), load);
  if (!opt.loras.empty()) {
    const LoraMode mode = opt.lora_mode.empty()       ? storage.lora_mode
                          : opt.lora_mode == "online" ? LoraMode::Online
                          : opt.lora_mode == "requantize" ? LoraMode::Requantize
                                                          : LoraMode::Merged;
    const lora::TargetResolver resolver(model->config());
    std::vector<lora::LoraSet> sets;
    std::vector<float> multipliers;
    for (const auto& arg : opt.loras) {
      const lora::LoraRequest req = lora::parse_lora_argument(arg);
      sets.push_back(lora::read_lora_file(req.path, resolver));
      multipliers.push_back(req.multiplier);
      for (const auto& w : sets.back().warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
    std::vector<lora::ActiveLora> active;
    for (size_t i = 0; i < sets.size(); ++i) active.push_back({&sets[i], multipliers[i]});
    lora::LoraPatcher patcher(lora::Component::Transformer, model->linear_layers(), model->source(), model->block_size());
    const size_t n = patcher.apply(active, mode);
    std::fprintf(stderr, "LoRA: %zu modules updated (%s)\n", n,
                 mode == LoraMode::Online ? "online" : mode == LoraMode::Requantize ? "merged, GGUF re-quantized" : "merged");
  }
  std::fprintf(stderr, "FLUX weights in memory (%s):\n%s", storage.label.c_str(), model->describe_weight_usage().c_str());
  return model;
}


}  // namespace fluxgen::cli
