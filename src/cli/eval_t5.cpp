// `fluxgen eval t5`: one T5 encoder forward (no attention mask) over in.input_ids ->
// out.last_hidden_state.
#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "cli/text_encoder_cli_options.h"
#include "io/safetensors.h"
#include "models/t5/t5_encoder.h"

namespace fluxgen::cli {

void register_eval_t5(CLI::App& eval) {
  auto opt = std::make_shared<TextEncoderEvalOptions>();
  CLI::App* cmd = add_text_encoder_eval(
      eval, "t5", "T5 encoder forward, no attention mask: in.input_ids -> out.last_hidden_state", *opt);
  cmd->callback([opt] {
    t5::T5LoadOptions load;
    load.storage = opt->storage_dtype();
    const auto model = t5::T5Encoder::load(open_tensor_store(opt->weights), load);
    const auto io = SafetensorsFile::open(opt->inputs);
    write_safetensors(opt->output, {{"out.last_hidden_state", model->forward(io->get_f32("in.input_ids"))}});
  });
}

}  // namespace fluxgen::cli
