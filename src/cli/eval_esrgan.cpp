// `fluxgen eval esrgan --weights F --inputs IO --output OUT`: the bare upscaling network (RRDBNet or
// SRVGGNetCompact, detected from the weights) on one input tensor, no channel flip, no clamping,
// no tiling. Input contract: `in.image` [N, C, H, W] if present, else `sr.in.image` (the name
// real_io.safetensors uses); the output is written as `out.image`, and also as `sr.out.image` when
// the input was `sr.in.image`.
#include <cstdio>

#include "cli/eval_registry.h"
#include "io/safetensors.h"
#include "models/upscaler.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::cli {

void register_eval_esrgan(CLI::App& eval) {
  struct Args {
    std::string weights, inputs, output, activation = "relu";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = eval.add_subcommand("esrgan", "ESRGAN / Real-ESRGAN network: in.image (or sr.in.image) -> out.image "
                                                "(and sr.out.image); raw network, no clamping, no tiling");
  cmd->add_option("--weights", args->weights, "Upscaler weights (.pth/.pt/.safetensors)")->required();
  cmd->add_option("--inputs", args->inputs, "safetensors with in.image or sr.in.image")->required();
  cmd->add_option("--output", args->output, "safetensors to write")->required();
  cmd->add_option("--compact-activation", args->activation,
                  "Activation of compact models without PReLU weights: relu or leakyrelu")
      ->check(CLI::IsMember({"relu", "leakyrelu"}));
  cmd->callback([args] {
    UpscalerOptions options;
    options.compact_parameterless =
        args->activation == "leakyrelu" ? CompactActivation::LeakyReLU : CompactActivation::ReLU;
    const auto upscaler = Upscaler::load(args->weights, options);
    const auto io = SafetensorsFile::open(args->inputs);
    const bool prefixed = !io->contains("in.image");
    check(!prefixed || io->contains("sr.in.image"), args->inputs, ": holds neither in.image nor sr.in.image");
    const Tensor image = to_f32(io->get(prefixed ? "sr.in.image" : "in.image"));
    const Tensor out = upscaler->forward(image);
    std::vector<std::pair<std::string, Tensor>> tensors = {{"out.image", out}};
    if (prefixed) tensors.emplace_back("sr.out.image", out);
    write_safetensors(args->output, tensors);
    std::printf("%s: %s; %s -> %s\n", args->weights.c_str(), upscaler->description().c_str(),
                image.describe().c_str(), out.describe().c_str());
  });
}

}  // namespace fluxgen::cli
