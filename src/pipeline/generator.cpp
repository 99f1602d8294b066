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
#include "pipeline/latent_codec.h"
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
  std::vector<std::string> notes;
};

std::optional<Img2ImgInput> prepare_img2img(const LatentCodec& codec, const GenerationRequest& request, int64_t lh,
                                            int64_t lw) {
  const GenerationSettings& s = request.settings;
  if (!request.init_image) return std::nullopt;
  const Image init = to_rgb(*request.init_image);
  Img2ImgInput in;
  if (!request.mask) {
    const auto mode = static_cast<imaging::ResizeMode>(std::min(s.resize_mode, 2));
    in.latent = codec.encode(imaging::a1111_resize_image(init, mode, s.width, s.height));
    return in;
  }
  if (s.inpainting_fill != 1)
    throw FieldError("inpainting_fill", "only 1 (\"original\") is supported for FLUX inpainting");
  Image mask = to_gray(*request.mask);
  if (mask.width != init.width || mask.height != init.height)
    mask = imaging::resize(mask, init.width, init.height, imaging::Filter::Nearest);
  InpaintRequest req{init, mask, s.mask_blur, s.inpaint_full_res, s.inpaint_full_res_padding, s.width, s.height,
                     s.resize_mode};
  in.inpaint = prepare_inpaint(req);
  if (!in.inpaint) {
    in.notes.push_back("the mask is empty: nothing to inpaint, the image is processed as plain img2img");
    in.latent = codec.encode(imaging::a1111_resize_image(init, imaging::ResizeMode::JustResize, s.width, s.height));
    return in;
  }
  in.latent = codec.encode(in.inpaint->process_image);
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

// Every pass's text conditioning, encoded once and placed where the transformer runs.
struct PromptConditioning {
  std::string negative;  // the negative prompt's text (LoRA tags removed), for ADetailer's [PROMPT]
  Conditioning cond;
  std::optional<Conditioning> uncond;      // when some pass runs with CFG
  std::optional<Conditioning> hires_cond;  // HiRes.fix's own prompt, when it has one
};

PromptConditioning encode_prompts(ModelManager& models, const GenerationRequest& request, const ParsedPrompt& prompt) {
  const GenerationSettings& s = request.settings;
  TextEncoders& text = models.text();
  const auto encode = [&](const std::string& p) {
    const Conditioning& c = text.encode(p);
    return Conditioning{models.to_model_device(c.txt), models.to_model_device(c.y)};
  };
  PromptConditioning out;
  out.cond = encode(prompt.text);
  out.negative = parse_prompt(s.negative_prompt).text;
  if (s.cfg_scale > 1.0 || (request.hires && s.hires.cfg > 1.0)) out.uncond = encode(out.negative);
  if (request.hires && !s.hires.prompt.empty()) out.hires_cond = encode(parse_prompt(s.hires.prompt).text);
  return out;
}

// The first pass (txt2img, or img2img from `img2img`), without its seeds.
PassSpec first_pass(const GenerationRequest& request, const PromptConditioning& prompts,
                    const std::optional<Img2ImgInput>& img2img, const LatentCodec& codec) {
  const GenerationSettings& s = request.settings;
  PassSpec p;
  p.job = img2img ? "img2img" : "txt2img";
  p.sampler = request.sampler;
  p.scheduler = request.scheduler;
  p.steps = s.steps;
  p.denoise = s.denoising_strength;
  p.cond = &prompts.cond;
  p.uncond = prompts.uncond ? &*prompts.uncond : nullptr;
  p.cfg = s.cfg_scale;
  p.guidance = s.distilled_cfg_scale;
  p.noise_source = request.noise_source;
  p.step_cache = request.step_cache;
  p.latent_channels = codec.channels();
  p.latent_height = s.height / codec.factor();
  p.latent_width = s.width / codec.factor();
  if (img2img) {
    p.init_latent = img2img->latent;
    p.keep_mask = img2img->keep_mask;
  }
  return p;
}

void take_notes(std::vector<std::string>&& from, std::vector<std::string>& to) {
  for (auto& n : from) to.push_back(std::move(n));
}

}  // namespace

GenerationResult Generator::run(GenerationSettings settings) {
  return run(resolve_request(std::move(settings), models_.options().models_dir));
}

ModelFiles Generator::load_models(const GenerationRequest& request, std::vector<std::string>& notes) {
  const GenerationSettings& s = request.settings;
  // The request's names were parsed and its files found when it was built; what is left to check
  // before any model runs is the model files themselves.
  ModelRequest req{s.model, s.vae, s.clip, s.t5, models_.options().models_dir};
  assign_additional_modules(s, req);
  const ModelFiles files = as_field_error("sd_model_checkpoint", [&] { return discover_models(req); });
  FluxWorkload workload = flux_workload(s);
  workload.auxiliary_bytes = models_.auxiliary_device_bytes(auxiliary_model_files(request));
  models_.load(files, request.storage, workload);
  take_notes(models_.take_notes(), notes);
  return files;
}

std::vector<ActiveLoraRequest> Generator::apply_loras(const GenerationRequest& request, const ParsedPrompt& prompt,
                                                      std::vector<std::string>& notes) {
  // The CLI's --lora, then the prompt's <lora:NAME:W> tags.
  std::vector<ActiveLoraRequest> loras;
  as_field_error("prompt", [&] {
    for (const auto& l : request.settings.loras)
      loras.push_back({models_.resolve_lora(l.path), l.multiplier, l.multiplier});
    for (const auto& l : prompt.loras) loras.push_back({models_.resolve_lora(l.name), l.weight, l.text_encoder_weight});
    return 0;
  });
  take_notes(models_.apply_loras(loras, request.storage.lora_mode), notes);
  return loras;
}

ImageRunFacts Generator::run_facts(const ModelFiles& files, const std::vector<ActiveLoraRequest>& loras) {
  ImageRunFacts facts;
  facts.model_hash = hashes_.short_hash(files.transformer, 10);
  facts.model_name = files.model_name;
  for (const auto& l : loras)
    facts.lora_hashes += (facts.lora_hashes.empty() ? "" : ", ") + fs::path(l.path).stem().string() + ": " +
                         hashes_.short_hash(l.path, 12);
  return facts;
}

GenerationResult Generator::run(GenerationRequest request) {
  GenerationSettings& s = request.settings;
  GenerationResult result;
  result.notes = s.notes;
  progress_.reset_requests();

  const ModelFiles files = load_models(request, result.notes);
  const ParsedPrompt prompt = as_field_error("prompt", [&] { return parse_prompt(s.prompt); });
  for (const auto& w : prompt.warnings) result.notes.push_back(w);
  const std::vector<ActiveLoraRequest> loras = apply_loras(request, prompt, result.notes);
  // Seeds: A1111 gives image i of the request seed + i; -1 draws one at random.
  if (s.seed < 0) s.seed = static_cast<int64_t>(std::random_device{}() & 0x7fffffffu);

  const PromptConditioning prompts = encode_prompts(models_, request, prompt);
  take_notes(models_.take_notes(), result.notes);
  if (!models_.keep_text_encoders() && request.adetailer.empty()) models_.release_text_encoders();

  const LatentCodec codec(models_.vae(), models_.device(), models_.options().placement.vram_budget);
  const int64_t f = codec.factor();
  if (s.width % (2 * f) != 0 || s.height % (2 * f) != 0)
    throw FieldError("width", "width and height must be multiples of " + std::to_string(2 * f));
  std::optional<Img2ImgInput> img2img = prepare_img2img(codec, request, s.height / f, s.width / f);
  if (img2img) take_notes(std::move(img2img->notes), result.notes);
  const PassSpec base = first_pass(request, prompts, img2img, codec);
  const bool hires = request.hires && !img2img;
  if (request.hires && img2img) result.notes.push_back("HiRes.fix applies to txt2img only (as in A1111); ignored");

  const int images = s.batch_size * s.n_iter;
  const int per_image = hires ? hires_step_count(request, static_cast<int>(2 * f), f) : 0;
  progress_.begin(s.n_iter * pass_step_count(base) + images * per_image, images);

  ImageRunFacts facts = run_facts(files, loras);
  facts.img2img = img2img.has_value();
  facts.inpaint = img2img && img2img->inpaint;
  facts.hires = hires;
  // A stage's stop counts as the user's only when the user asked (skip ends one image, not all).
  const auto finish_stage = [&](StageResult&& r, Image& image) {
    take_notes(std::move(r.notes), result.notes);
    image = std::move(r.image);
    result.interrupted = result.interrupted || (r.interrupted && progress_.interrupted());
  };

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
      g.image = codec.decode(latent);
      if (img2img && img2img->inpaint) g.image = finish_inpaint(*img2img->inpaint, g.image);
      if (hires && !result.interrupted) {
        const Upscaler* upscaler = request.hires->upscaler.kind == UpscalerChoice::Kind::Model
                                       ? &models_.upscaler(request.hires->upscaler.path)
                                       : nullptr;
        const HiresInput in{latent, g.image, g.seed, prompts.hires_cond ? &*prompts.hires_cond : &prompts.cond,
                            base.uncond, job_no};
        finish_stage(run_hires_fix({models_.flux(), codec, upscaler}, request, in, progress_), g.image);
      }
      for (size_t u = 0; u < request.adetailer.size() && !result.interrupted; ++u) {
        const ADetailerUnitRequest& unit = request.adetailer[u];
        const ADetailerModels models{models_.flux(), codec, models_.detector(unit.detector), models_.text()};
        const ADetailerInput in{g.image, g.seed, prompt.text, prompts.negative, job_no};
        finish_stage(run_adetailer_unit(models, request, unit, in, progress_), g.image);
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
