// `fluxgen eval taesd-encode|taesd-decode`: TAESD/TAEF1 on tensors from a safetensors file.
// Inputs are `in.image` / `in.latent`, or with the `taef1.` prefix real_io.safetensors uses; there
// the decoder's input is the reference encoder's output, `taef1.out.latent`.
#include "backend/ops.h"
#include "cli/eval_registry.h"
#include "io/safetensors.h"
#include "io/tensor_store.h"
#include "models/taesd/taesd.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::cli {

namespace {

// The first of `names` present in the inputs file.
Tensor read_input(const std::string& path, const std::vector<std::string>& names) {
  const auto store = open_tensor_store(path);
  for (const std::string& key : names)
    if (store->contains(key)) return store->get(key);
  fail(path, ": none of the input tensors ", join(names, ", "), " is present");
}

struct EvalArgs {
  std::string weights, inputs, output;
};

CLI::App* add_eval(CLI::App& eval, const char* name, const char* help, std::shared_ptr<EvalArgs> args) {
  CLI::App* cmd = eval.add_subcommand(name, help);
  cmd->add_option("--weights", args->weights, "TAESD/TAEF1 encoder or decoder weights (.safetensors, .pth)")
      ->required();
  cmd->add_option("--inputs", args->inputs, "safetensors file with the input tensor")->required();
  cmd->add_option("--output", args->output, "safetensors file to write")->required();
  return cmd;
}

}  // namespace

void register_eval_taesd(CLI::App& eval) {
  auto enc = std::make_shared<EvalArgs>();
  add_eval(eval, "taesd-encode", "TAESD/TAEF1 encoder: in.image [N,3,H,W] in [0,1] -> out.latent", enc)
      ->callback([enc] {
        const Tensor image = read_input(enc->inputs, {"in.image", "taef1.in.image"});
        const Tensor latent = load_taesd_encoder(enc->weights).forward(image);
        write_safetensors(enc->output, {{"out.latent", latent}});
      });
  auto dec = std::make_shared<EvalArgs>();
  add_eval(eval, "taesd-decode", "TAESD/TAEF1 decoder: in.latent (or taef1.out.latent) -> out.image [N,3,8h,8w] clamped to [0,1]", dec)
      ->callback([dec] {
        const Tensor latent = read_input(dec->inputs, {"in.latent", "taef1.in.latent", "taef1.out.latent"});
        const Tensor image = ops::clamp(load_taesd_decoder(dec->weights).forward(latent), 0.0f, 1.0f);
        write_safetensors(dec->output, {{"out.image", image}});
      });
}

}  // namespace fluxgen::cli
