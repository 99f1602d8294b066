#include "cli/text_encoder_cli_options.h"

#include "nn/storage_option.h"

namespace fluxgen::cli {

std::optional<DType> TextEncoderEvalOptions::storage_dtype() const { return parse_storage_option(storage).dtype; }

CLI::App* add_text_encoder_eval(CLI::App& eval, const char* name, const char* help, TextEncoderEvalOptions& opt) {
  CLI::App* cmd = eval.add_subcommand(name, help);
  cmd->add_option("--weights", opt.weights, "Weights: a transformers-layout file, or an all-in-one checkpoint")
      ->required();
  cmd->add_option("--inputs", opt.inputs, "IO safetensors holding in.input_ids [batch, tokens]")->required();
  cmd->add_option("--output", opt.output, "Where to write the out.* tensors (safetensors)")->required();
  cmd->add_option("--storage", opt.storage,
                  "Linear weight storage: auto (as in the file), bf16, fp16, fp32, fp8-e4m3fn, fp8-e5m2, nf4, fp4")
      ->capture_default_str();
  return cmd;
}

}  // namespace fluxgen::cli
