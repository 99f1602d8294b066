// `fluxgen eval clip`: one CLIP text model forward over in.input_ids -> out.last_hidden_state,
// out.penultimate, out.pooled.
#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "cli/text_encoder_cli_options.h"
#include "io/safetensors.h"
#include "models/clip/clip_text_model.h"

namespace fluxgen::cli {

void register_eval_clip(CLI::App& eval) {
  auto opt = std::make_shared<TextEncoderEvalOptions>();
  CLI::App* cmd = add_text_encoder_eval(
      eval, "clip", "CLIP text model forward: in.input_ids -> out.last_hidden_state, out.penultimate, out.pooled", *opt);
  cmd->callback([opt] {
    clip::ClipLoadOptions load;
    load.storage = opt->storage_dtype();
    const auto model = clip::ClipTextModel::load(open_tensor_store(opt->weights), load);
    const auto io = SafetensorsFile::open(opt->inputs);
    const clip::ClipTextOutput out = model->forward(io->get_f32("in.input_ids"));
    write_safetensors(opt->output, {{"out.last_hidden_state", out.last_hidden_state},
                                    {"out.penultimate", out.penultimate},
                                    {"out.pooled", out.pooled}});
  });
}

}  // namespace fluxgen::cli
