#include "pipeline/generator.h"

#include <filesystem>
#include <random>

#include "backend/ops.h"
#include "imaging/a1111_resize.h"
#include "imaging/resize.h"
#include "models/checkpoint_inspector.h"
#include "pipeline/adetailer_pass.h"
#include "pipeline/generation_infotext.h"
#include "pipeline/hires_fix.h"
#include "pipeline/inpaint.h"
#include "pipeline/sampling_pass.h"
#include "pipeline/stage_context.h"
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

// The img2img input after A1111's preparation: a clean latent and, for inpainting, the mask.
struct Img2ImgInput {
  Tensor latent;
  std::optional<PreparedInpaint> inpaint;
  std::optional<Tensor> keep_mask;
};

std::optional<Img2ImgInput> prepare_img2img(StageContext& ctx, int64_t lh, int64_t lw) {
  const GenerationSettings& s = ctx.settings();
  if (!ctx.request.init_image) return std::nullopt;
  const Image init = to_rgb(*ctx.request.init_image);
  Img2ImgInput in;
  if (!ctx.request.mask) {
    const auto mode = static_cast<imaging::ResizeMode>(std::min(s.resize_mode, 2));
    in.latent = encode_image(ctx, imaging::a1111_resize_image(init, mode, s.width, s.height));
    return in;
  }
  if (s.inpainting_fill != 1)
    throw FieldError("inpainting_fill", "only 1 (\"original\") is supported for FLUX inpainting");
  Image mask = to_gray(*ctx.request.mask);
  if (mask.width != init.width || mask.height != init.height)
    mask = imaging::resize(mask, init.width, init.height, imaging::Filter::Nearest);
  InpaintRequest req{init, mask, s.mask_blur, s.inpaint_full_res, s.inpaint_full_res_padding, s.width, s.height,
                     s.resize_mode};
  in.inpaint = prepare_inpaint(req);
  if (!in.inpaint) {
    ctx.notes.push_back("the mask is empty: nothing to inpaint, the image is processed as plain img2img");
    in.latent = encode_image(ctx, imaging::a1111_resize_image(init, imaging::ResizeMode::JustResize, s.width, s.height));
    return in;
  }
  in.latent = encode_image(ctx, in.inpaint->process_image);
  in.keep_mask = latent_keep_mask(in.inpaint->process_mask, lh, lw);
  return in;
}

// The largest forward the request runs (HiRes.fix's second pass included), for the VRAM plan.
FluxWorkload flux_workload(const GenerationSettings& s) {
  FluxWorkload w;
  int64_t width = s.width, height = s.height;
  if (s.hires.enabled && s.init_image.empty()) {
    const HiresSize h = hires_size(s, 16);
    width = std::max<int64_t>(width, h.width);
    height = std::max<int64_t>(height, h.height);
  }
  w.width = width;
  w.height = height;
  w.batch = std::max(1, s.batch_size);
  return w;
}

}  // namespace

GenerationResult Generator::run(GenerationSettings settings) {
  return run(resolve_request(std::move(settings), models_.options().models_dir));
}

GenerationResult Generator::run(GenerationRequest request) {
  GenerationSettings& s = request.settings;
  GenerationResult result;
  result.notes = s.notes;
  progress_.reset_requests();

  // The request's names were parsed and its files found when it was built; what is left to check
  // before any model runs is the model files themselves.
  ModelRequest req{s.model, s.vae, s.clip, s.t5, models_.options().models_dir};
  assign_additional_modules(s, req);
  const ModelFiles files = as_field_error("sd_model_checkpoint", [&] { return discover_models(req); });
  FluxWorkload workload = flux_workload(s);
  workload.auxiliary_bytes = models_.auxiliary_device_bytes(auxiliary_model_files(request));
  models_.load(files, request.storage, workload);
  for (auto& n : models_.take_notes()) result.notes.push_back(std::move(n));

  // Prompt and LoRAs: the CLI's --lora, then the prompt's <lora:NAME:W> tags.
  const ParsedPrompt prompt = as_field_error("prompt", [&] { return parse_prompt(s.prompt); });
  for (const auto& w : prompt.warnings) result.notes.push_back(w);
  std::vector<ActiveLoraRequest> loras;
  as_field_error("prompt", [&] {
    for (const auto& l : s.loras) loras.push_back({models_.resolve_lora(l.path), l.multiplier, l.multiplier});
    for (const auto& l : prompt.loras) loras.push_back({models_.resolve_lora(l.name), l.weight, l.text_encoder_weight});
    return 0;
  });
  for (const auto& w : models_.apply_loras(loras, request.storage.lora_mode)) result.notes.push_back(w);

  // Seeds: A1111 gives image i of the request seed + i; -1 draws one at random.
  if (s.seed < 0) s.seed = static_cast<int64_t>(std::random_device{}() & 0x7fffffffu);
  StageContext ctx{models_, progress_, request, result.notes};

  // Conditioning for every pass, encoded once and placed where the transformer runs.
  TextEncoders& text = models_.text();
  for (auto& n : models_.take_notes()) result.notes.push_back(std::move(n));
  const auto encode = [&](const std::string& p) {
    const Conditioning& c = text.encode(p);
    return Conditioning{models_.to_model_device(c.txt), models_.to_model_device(c.y)};
  };
  const Conditioning cond = encode(prompt.text);
  const std::string negative = parse_prompt(s.negative_prompt).text;
  std::optional<Conditioning> uncond;
  if (s.cfg_scale > 1.0 || (request.hires && s.hires.cfg > 1.0)) uncond = encode(negative);
  std::optional<Conditioning> hires_cond;
  if (request.hires && !s.hires.prompt.empty()) hires_cond = encode(parse_prompt(s.hires.prompt).text);
  if (!models_.keep_text_encoders() && request.adetailer.empty()) models_.release_text_encoders();

  // Geometry: the latent is the image divided by the autoencoder's factor (8 for FLUX's).
  const int64_t f = models_.vae().config().downscale();
  if (s.width % (2 * f) != 0 || s.height % (2 * f) != 0)
    throw FieldError("width", "width and height must be multiples of " + std::to_string(2 * f));
  const int64_t lh = s.height / f, lw = s.width / f;
  const std::optional<Img2ImgInput> img2img = prepare_img2img(ctx, lh, lw);

  PassSpec base;
  base.job = img2img ? "img2img" : "txt2img";
  base.sampler = request.sampler;
  base.scheduler = request.scheduler;
  base.steps = s.steps;
  base.denoise = s.denoising_strength;
  base.cond = &cond;
  base.uncond = uncond ? &*uncond : nullptr;
  base.cfg = s.cfg_scale;
  base.guidance = s.distilled_cfg_scale;
  base.noise_source = request.noise_source;
  base.step_cache = request.step_cache;
  base.latent_channels = models_.vae().config().z_channels;
  base.latent_height = lh;
  base.latent_width = lw;
  if (img2img) {
    base.init_latent = img2img->latent;
    base.keep_mask = img2img->keep_mask;
  }
  const bool hires = request.hires && !img2img;
  if (request.hires && img2img) result.notes.push_back("HiRes.fix applies to txt2img only (as in A1111); ignored");

  const int images = s.batch_size * s.n_iter;
  const int per_image = hires ? hires_step_count(request, static_cast<int>(2 * f), f) : 0;
  progress_.begin(s.n_iter * pass_step_count(base) + images * per_image, images);

  ImageRunFacts facts;
  facts.model_hash = hashes_.short_hash(files.transformer, 10);
  facts.model_name = files.model_name;
  for (const auto& l : loras)
    facts.lora_hashes += (facts.lora_hashes.empty() ? "" : ", ") + fs::path(l.path).stem().string() + ": " +
                         hashes_.short_hash(l.path, 12);
  facts.img2img = img2img.has_value();
  facts.inpaint = img2img && img2img->inpaint;
  facts.hires = hires;

  for (int iter = 0; iter < s.n_iter && !result.interrupted; ++iter) {
    PassSpec pass = base;
    pass.job_no = iter * s.batch_size;
    for (int b = 0; b < s.batch_size; ++b) pass.seeds.push_back(s.seed + iter * s.batch_size + b);
    const PassResult sampled = run_pass(models_.flux(), pass, progress_);
    note_step_cache(sampled, pass.job, result.notes);
    result.interrupted = sampled.interrupted && progress_.interrupted();
    for (int b = 0; b < s.batch_size; ++b) {
      GeneratedImage g;
      g.seed = pass.seeds[static_cast<size_t>(b)];
      const int job_no = pass.job_no + b;
      const Tensor latent = ops::slice(sampled.latent, 0, b, b + 1);
      g.image = decode_latent(ctx, latent);
      if (img2img && img2img->inpaint) g.image = finish_inpaint(*img2img->inpaint, g.image);
      bool stopped = false;
      if (hires && !result.interrupted) {
        HiresInput hi{latent, g.image, g.seed, hires_cond ? &*hires_cond : &cond, base.uncond, job_no};
        g.image = run_hires_fix(ctx, hi, &stopped);
        result.interrupted = result.interrupted || (stopped && progress_.interrupted());
      }
      for (size_t u = 0; u < request.adetailer.size() && !result.interrupted; ++u) {
        ADetailerInput ai{g.image, g.seed, prompt.text, negative, job_no};
        g.image = run_adetailer_unit(ctx, request.adetailer[u], ai, &stopped);
        result.interrupted = result.interrupted || (stopped && progress_.interrupted());
      }
      facts.seed = g.seed;
      g.infotext = generation_infotext(request, facts);
      result.images.push_back(std::move(g));
    }
  }
  if (!models_.keep_text_encoders()) models_.release_text_encoders();
  progress_.end();
  result.settings = s;
  return result;
}

}  // namespace fluxgen
