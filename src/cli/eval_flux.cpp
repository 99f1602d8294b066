// `fluxgen eval flux`: one FLUX transformer forward from the in.* tensors of an IO file -> out.pred.
#include <cstdio>

#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "io/safetensors.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"

namespace fluxgen::cli {

void register_eval_flux(CLI::App& eval) {
  auto opt = std::make_shared<FluxEvalOptions>();
  CLI::App* cmd = eval.add_subcommand("flux", "One FLUX transformer forward: in.img, in.img_ids, in.txt, in.txt_ids, "
                                               "in.timesteps, in.y, in.guidance -> out.pred");
  add_flux_model_options(*cmd, *opt);
  cmd->add_option("--inputs", opt->inputs, "IO safetensors holding the in.* tensors")->required();
  cmd->add_option("--output", opt->output, "Where to write out.pred (safetensors)")->required();
  cmd->callback([opt] {
    auto model = load_flux_for_eval(*opt);
    const auto io = SafetensorsFile::open(opt->inputs);
    const flux::FluxInputs in = flux::read_flux_inputs(*io);
    write_safetensors(opt->output, {{"out.pred", model->forward(in)}});
  });
}

}  // namespace fluxgen::cli
