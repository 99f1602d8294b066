// `fluxgen eval flux-sample`: the sampling loop from in.noise with the fixture's conditioning ->
// out.schedule, out.latent (unpacked) and out.latent_packed.
#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "models/flux/latent_packing.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::cli {

void register_eval_flux_sample(CLI::App& eval) {
  auto opt = std::make_shared<FluxEvalOptions>();
  auto steps = std::make_shared<int>(4);
  auto sampler = std::make_shared<std::string>("Euler");
  auto scheduler = std::make_shared<std::string>("bfl");
  auto guidance = std::make_shared<double>(-1.0);
  CLI::App* cmd = eval.add_subcommand("flux-sample", "The sampling loop from in.noise ([B, 16, h, w]) with in.txt, "
                                                      "in.y, in.guidance -> out.schedule, out.latent, out.latent_packed");
  add_flux_model_options(*cmd, *opt);
  cmd->add_option("--inputs", opt->inputs, "IO safetensors holding in.noise, in.txt, in.txt_ids, in.y, in.guidance")
      ->required();
  cmd->add_option("--output", opt->output, "Output safetensors")->required();
  cmd->add_option("--steps", *steps, "Sampling steps")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--sampler", *sampler, "Sampler (Euler, \"Euler a\", \"[Forge] Flux Realistic\", ...)")
      ->capture_default_str();
  cmd->add_option("--scheduler", *scheduler, "Schedule: bfl (resolution-shifted), Simple, Beta, Normal")
      ->capture_default_str();
  cmd->add_option("--guidance", *guidance, "Distilled guidance (default: in.guidance, else 3.5)");
  cmd->callback([=] {
    auto model = load_flux_for_eval(*opt);
    const auto io = SafetensorsFile::open(opt->inputs);
    const Tensor noise = io->get_f32("in.noise");
    check(noise.ndim() == 4, opt->inputs, ": in.noise must be [B, C, h, w], got ", noise.describe());
    const int64_t B = noise.dim(0), h = noise.dim(2), w = noise.dim(3);
    flux::FluxInputs in;
    in.txt = io->get_f32("in.txt");
    in.txt_ids = io->contains("in.txt_ids") ? io->get_f32("in.txt_ids") : flux::text_ids(B, in.txt.dim(1));
    in.y = io->get_f32("in.y");
    in.img_ids = flux::image_ids(B, h, w);
    const float g = *guidance >= 0 ? static_cast<float>(*guidance)
                                   : (io->contains("in.guidance") ? to_vector(io->get("in.guidance"))[0] : 3.5f);
    in.guidance.assign(static_cast<size_t>(B), g);
    const std::vector<float> sigmas = sampling::make_schedule(*scheduler, *steps, (h / 2) * (w / 2));
    sampling::SamplerInputs si;
    si.sigmas = sigmas;
    si.latent = noise;
    si.denoiser = [&](const Tensor& x, float sigma) {
      in.img = flux::pack_latent(x);
      in.timesteps.assign(static_cast<size_t>(B), sigma);
      return flux::unpack_latent(model->forward(in), h, w);
    };
    const Tensor latent = sampling::run_sampler(*sampler, si).latent;
    write_safetensors(opt->output, {{"out.schedule", Tensor::from_vector({static_cast<int64_t>(sigmas.size())}, sigmas)},
                                    {"out.latent", latent},
                                    {"out.latent_packed", flux::pack_latent(latent)}});
  });
}

}  // namespace fluxgen::cli
