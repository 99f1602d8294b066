// `fluxgen eval vae-encode|vae-decode`: the autoencoder on in.image / in.latent -> out.latent / out.image.
#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "models/vae/autoencoder.h"

namespace fluxgen::cli {

void register_eval_vae(CLI::App& eval) {
  for (const bool encode : {true, false}) {
    auto weights = std::make_shared<std::string>();
    auto inputs = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto tiled = std::make_shared<bool>(false);
    CLI::App* cmd = eval.add_subcommand(encode ? "vae-encode" : "vae-decode",
                                        encode ? "Autoencoder encode: in.image ([-1, 1]) -> out.latent (scaled, shifted)"
                                               : "Autoencoder decode: in.latent -> out.image");
    cmd->add_option("--weights", *weights, "ae.safetensors, a diffusers vae/ folder, or an all-in-one checkpoint")->required();
    cmd->add_option("--inputs", *inputs, "IO safetensors with in.image or in.latent")->required();
    cmd->add_option("--output", *output, "Output safetensors")->required();
    cmd->add_flag("--tiled", *tiled, "Force tiled processing (overlapping tiles, blended seams)");
    cmd->callback([=] {
      const auto ae = vae::AutoEncoder::load(open_tensor_store(*weights));
      const auto io = SafetensorsFile::open(*inputs);
      if (encode) {
        const Tensor x = io->get_f32("in.image");
        write_safetensors(*output, {{"out.latent", *tiled ? ae->encode_tiled(x, {}, true) : ae->encode(x)}});
      } else {
        const Tensor z = io->get_f32("in.latent");
        write_safetensors(*output, {{"out.image", *tiled ? ae->decode_tiled(z, {}, true) : ae->decode(z)}});
      }
    });
  }
}

}  // namespace fluxgen::cli
