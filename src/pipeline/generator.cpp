#include "pipeline/generator.h"

#include <filesystem>
#include <random>

#include "backend/ops.h"
#include "imaging/a1111_resize.h"
#include "io/image/image_io.h"
#include "models/checkpoint_inspector.h"
#include "pipeline/flux_denoiser.h"
#include "pipeline/infotext.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "sampling/torch_rng.h"
#include "text/prompt.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

namespace {

// Forge's forge_additional_modules: VAE and text-encoder files by name; each goes where its
// header says it belongs.
void assign_additional_modules(const GenerationSettings& s, ModelRequest& req) {
  for (const auto& name : s.additional_modules) {
    std::string path = name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      std::optional<std::string> found;
      for (ModelFolder f : {ModelFolder::Vae, ModelFolder::TextEncoders})
        if (!found) found = find_model_file(model_folders(req.models_dir, f), name);
      if (!found) throw FieldError("override_settings.forge_additional_modules", "no module named \"" + name + "\"");
      path = *found;
    }
    const FileReport r = inspect_store(*open_tensor_store(path));
    for (const Component& c : r.components) {
      if (c.kind == ModelKind::FluxAutoencoder && req.vae.empty()) req.vae = path;
      if (c.kind == ModelKind::ClipText && req.clip.empty()) req.clip = path;
      if (c.kind == ModelKind::T5Encoder && req.t5.empty()) req.t5 = path;
    }
  }
}

Image load_input_image(const std::string& source, bool is_path, const char* field) {
  try {
    return is_path ? read_image(source) : decode_image_base64(source, field).image;
  } catch (const Error& e) {
    throw FieldError(field, e.what());
  }
}

std::string number(double v) { return infotext_number(v); }

}  // namespace

GenerationResult Generator::run(GenerationSettings s) {
  GenerationResult result;
  result.notes = s.notes;
  progress_.reset_requests();

  // Models.
  ModelRequest req{s.model, s.vae, s.clip, s.t5, models_.options().models_dir};
  assign_additional_modules(s, req);
  const ModelFiles files = discover_models(req);
  StorageOption storage;
  try {
    storage = parse_storage_option(s.storage);
  } catch (const Error& e) {
    throw FieldError("forge_unet_storage_dtype", e.what());
  }
  sampling::Sampler sampler;
  try {
    sampler = sampling::parse_sampler(s.sampler);
  } catch (const Error& e) {
    throw FieldError("sampler_name", e.what());
  }
  try {
    sampling::parse_scheduler(s.scheduler);
  } catch (const Error& e) {
    throw FieldError("scheduler", e.what());
  }
  models_.load(files, storage);

  // Prompt and LoRAs: the CLI's --lora, then the prompt's <lora:NAME:W> tags.
  const ParsedPrompt prompt = parse_prompt(s.prompt);
  for (const auto& w : prompt.warnings) result.notes.push_back(w);
  std::vector<ActiveLoraRequest> loras;
  for (const auto& l : s.loras) loras.push_back({models_.resolve_lora(l.path), l.multiplier, l.multiplier});
  for (const auto& l : prompt.loras) loras.push_back({models_.resolve_lora(l.name), l.weight, l.text_encoder_weight});
  for (const auto& w : models_.apply_loras(loras, storage.lora_mode)) result.notes.push_back(w);

  // Seeds: A1111 gives image i of the request seed + i; -1 draws one at random.
  if (s.seed < 0) s.seed = static_cast<int64_t>(std::random_device{}() & 0x7fffffffu);
  const sampling::NoiseSource noise_source = sampling::parse_noise_source(s.noise_source);

  // Conditioning.
  TextEncoders& text = models_.text();
  const Conditioning cond = text.encode(prompt.text);
  std::optional<Conditioning> uncond;
  if (s.cfg_scale > 1.0) uncond = text.encode(parse_prompt(s.negative_prompt).text);
  if (!models_.keep_text_encoders()) models_.release_text_encoders();

  // Geometry: the latent is the image divided by the autoencoder's factor (8 for FLUX's).
  vae::AutoEncoder& ae = models_.vae();
  const int64_t f = ae.config().downscale();
  if (s.width % (2 * f) != 0 || s.height % (2 * f) != 0)
    throw FieldError("width", "width and height must be multiples of " + std::to_string(2 * f));
  const int64_t lh = s.height / f, lw = s.width / f;

  // img2img: the init image resized as A1111 does, encoded once.
  std::optional<Tensor> init_latent;
  if (!s.init_image.empty()) {
    const Image init = to_rgb(load_input_image(s.init_image, s.images_are_paths, "init_images"));
    const Image resized = imaging::a1111_resize_image(init, static_cast<imaging::ResizeMode>(std::min(s.resize_mode, 2)),
                                                      s.width, s.height);
    init_latent = ae.encode_tiled(image_to_tensor(resized, PixelRange::MinusOneOne));
  }
  const int64_t seq_len = (lh / 2) * (lw / 2);
  const std::vector<float> sigmas =
      init_latent ? sampling::img2img_window(s.scheduler, s.steps, s.denoising_strength, false, seq_len)
                  : sampling::make_schedule(s.scheduler, s.steps, seq_len);

  const int images = s.batch_size * s.n_iter;
  progress_.begin(images * static_cast<int>(sigmas.size() - 1), images);
  const flux::FluxModel& model = models_.flux();
  const std::string model_hash = hashes_.short_hash(files.transformer, 10);
  std::string lora_hashes;
  for (const auto& l : loras)
    lora_hashes += (lora_hashes.empty() ? "" : ", ") + fs::path(l.path).stem().string() + ": " +
                   hashes_.short_hash(l.path, 12);

  for (int iter = 0; iter < s.n_iter && !progress_.interrupted(); ++iter) {
    const int64_t B = s.batch_size;
    std::vector<std::shared_ptr<sampling::TorchGenerator>> rngs;
    std::vector<Tensor> noises;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t seed = s.seed + iter * B + b;
      rngs.push_back(std::make_shared<sampling::TorchGenerator>(noise_source, static_cast<uint64_t>(seed)));
      noises.push_back(rngs.back()->randn(Shape{1, ae.config().z_channels, lh, lw}));
    }
    const Tensor noise = ops::concat(noises, 0);

    FluxDenoiserSetup setup;
    setup.model = &model;
    setup.txt = cond.txt;
    setup.y = cond.y;
    if (uncond) {
      setup.uncond_txt = uncond->txt;
      setup.uncond_y = uncond->y;
    }
    setup.cfg_scale = static_cast<float>(s.cfg_scale);
    setup.guidance = static_cast<float>(s.distilled_cfg_scale);
    setup.latent_height = lh;
    setup.latent_width = lw;

    sampling::SamplerInputs in;
    in.denoiser = make_flux_denoiser(setup);
    in.sigmas = sigmas;
    in.latent = init_latent ? sampling::flow_noise_latent(repeat_batch(*init_latent, B), noise, sigmas.front()) : noise;
    // Forge continues each image's generator for the ancestral noise.
    in.noise = [rngs](const Shape& shape) {
      std::vector<Tensor> parts;
      Shape one = shape;
      one[0] = 1;
      for (const auto& g : rngs) parts.push_back(g->randn(one));
      return ops::concat(parts, 0);
    };
    const int job_no = iter * static_cast<int>(B);
    progress_.begin_pass(init_latent ? "img2img" : "txt2img", job_no, static_cast<int>(sigmas.size() - 1));
    in.on_step = [&](const sampling::SamplerStep& st) {
      progress_.step(st.index + 1, st.denoised);
      return !progress_.interrupted() && !progress_.take_skip();
    };
    const sampling::SamplerResult sampled = sampling::run_sampler(sampler, in);
    result.interrupted = result.interrupted || progress_.interrupted();

    const Tensor decoded = ae.decode_tiled(sampled.latent);
    for (int64_t b = 0; b < B; ++b) {
      GeneratedImage g;
      g.seed = s.seed + iter * B + b;
      g.image = tensor_to_image(ops::slice(decoded, 0, b, b + 1), PixelRange::MinusOneOne);
      Infotext info;
      info.prompt = s.prompt;
      info.negative_prompt = s.negative_prompt;
      auto& p = info.params;
      p.emplace_back("Steps", std::to_string(s.steps));
      p.emplace_back("Sampler", s.sampler);
      p.emplace_back("Schedule type", sampling::scheduler_name(sampling::parse_scheduler(s.scheduler)));
      p.emplace_back("CFG scale", number(s.cfg_scale));
      p.emplace_back("Distilled CFG Scale", number(s.distilled_cfg_scale));
      p.emplace_back("Seed", std::to_string(g.seed));
      p.emplace_back("Size", std::to_string(s.width) + "x" + std::to_string(s.height));
      p.emplace_back("Model hash", model_hash);
      p.emplace_back("Model", files.model_name);
      if (init_latent) p.emplace_back("Denoising strength", number(s.denoising_strength));
      if (!lora_hashes.empty()) p.emplace_back("Lora hashes", lora_hashes);
      p.emplace_back("Version", std::string("fluxgen ") + FLUXGEN_VERSION);
      p.emplace_back("Diffusion in Low Bits", storage.label);
      if (noise_source == sampling::NoiseSource::Cpu) p.emplace_back("RNG", "CPU");
      g.infotext = build_infotext(info);
      result.images.push_back(std::move(g));
    }
  }
  progress_.end();
  result.settings = s;
  return result;
}

}  // namespace fluxgen
