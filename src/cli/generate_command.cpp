// `fluxgen generate`: the whole job from the command line. Flags map onto the same A1111 field
// names the HTTP API takes, so both share one validation and one set of defaults.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "pipeline/generator.h"
#include "io/image/image_io.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "pipeline/output_files.h"
#include "pipeline/preview.h"
#include "pipeline/step_timing.h"
#include "util/strings.h"
#include "util/error.h"

namespace fluxgen::cli {

namespace {

struct GenerateOptions {
  std::string output;
  std::string models_dir;
  std::optional<std::string> model, vae, clip, t5, prompt, negative_prompt, sampler, scheduler, storage, noise_source,
      init_image, mask, hires_upscaler, adetailer, ad_prompt, preset, hr_prompt, hr_negative_prompt, hr_sampler,
      hr_scheduler, settings_file, step_cache;
  std::optional<int64_t> seed;
  std::optional<int> width, height, steps, batch_size, batch_count, hires_steps, ad_steps, mask_blur, ad_mask_blur;
  std::optional<double> cfg, distilled_guidance, denoise, hires_scale, ad_confidence, ad_denoise, hr_cfg,
      hr_distilled_guidance, cache_threshold;
  std::vector<std::string> loras;
  bool keep_text_encoders = false;
  DeviceCliOptions device;
  std::string preview;
  int preview_every = 5;
  std::string preview_type = "Approx cheap";
  std::string timings;
};

// The end-of-run summary: sampling speed, time in all, and on a GPU the peak device memory (the
// figures Forge users compare by hand; tools/gpu_check.sh reads the JSON).
void report_timings(const StepTiming& timing, const ModelManager& models, const std::string& json_path) {
  const bool gpu = models.device() != Device::CPU;
  const DeviceMemory m = gpu ? backend_for(models.device()).memory() : DeviceMemory{};
  const uint64_t peak = std::max(m.peak_reserved, m.peak_in_use);
  std::fprintf(stderr, "fluxgen: %d steps, %.3f s/step, first step after %.1f s, %.1f s in all%s\n", timing.steps(),
               timing.seconds_per_step(), timing.first_step_after(), timing.elapsed(),
               gpu ? (", peak VRAM " + format_bytes(peak) + " (" + models.options().placement.describe() + ")").c_str() : "");
  if (json_path.empty()) return;
  const json::Value v(json::Object{
      {"steps", json::Value(timing.steps())},
      {"seconds_per_step", json::Value(timing.seconds_per_step())},
      {"first_step_after_s", json::Value(timing.first_step_after())},
      {"total_s", json::Value(timing.elapsed())},
      {"device", json::Value(models.options().placement.describe())},
      {"peak_vram_bytes", json::Value(peak)},
      {"vram_budget_bytes", json::Value(models.options().placement.vram_budget)},
      {"transformer_plan", json::Value(gpu ? models.flux_plan().describe() : std::string("cpu"))},
  });
  const std::string text = v.dump(2) + "\n";
  write_file_atomically(json_path, text.data(), text.size());
}

// The --settings file: an A1111/Forge txt2img or img2img request body (what the API takes and what
// users keep their settings in). Flags given on the command line replace its fields.
json::Value read_settings_file(const std::string& path) {
  json::Value v = json::parse(read_text_file(path), path);
  check(v.is_object(), path, ": the settings must be a JSON object of A1111 fields (\"steps\": 20, ...)");
  return v;
}

json::Value to_patch(const GenerateOptions& o) {
  json::Value p = o.settings_file ? read_settings_file(*o.settings_file) : json::Value::object();
  auto set = [&](const char* key, const auto& v) {
    if (v) p[key] = *v;
  };
  set("prompt", o.prompt);
  set("negative_prompt", o.negative_prompt);
  set("seed", o.seed);
  set("width", o.width);
  set("height", o.height);
  set("steps", o.steps);
  set("sampler_name", o.sampler);
  set("scheduler", o.scheduler);
  set("cfg_scale", o.cfg);
  set("distilled_cfg_scale", o.distilled_guidance);
  set("batch_size", o.batch_size);
  set("n_iter", o.batch_count);
  set("noise_source", o.noise_source);
  set("fluxgen_step_cache", o.step_cache);
  set("fluxgen_cache_threshold", o.cache_threshold);
  set("init_image", o.init_image);
  set("mask", o.mask);
  set("mask_blur", o.mask_blur);
  set("denoising_strength", o.denoise);
  set("preset", o.preset);
  set("model", o.model);
  set("vae", o.vae);
  set("clip", o.clip);
  set("t5", o.t5);
  if (o.storage) p["fluxgen_storage"] = *o.storage;
  if (o.hires_scale || o.hires_upscaler || o.hires_steps) p["enable_hr"] = true;
  set("hr_scale", o.hires_scale);
  set("hr_upscaler", o.hires_upscaler);
  set("hr_second_pass_steps", o.hires_steps);
  set("hr_prompt", o.hr_prompt);
  set("hr_negative_prompt", o.hr_negative_prompt);
  set("hr_sampler_name", o.hr_sampler);
  set("hr_scheduler", o.hr_scheduler);
  set("hr_cfg", o.hr_cfg);
  set("hr_distilled_cfg", o.hr_distilled_guidance);
  if (!o.loras.empty()) {
    json::Value l = json::Value::array();
    for (const auto& s : o.loras) l.push_back(s);
    p["loras"] = l;
  }
  if (o.adetailer) {
    json::Value unit = json::Value::object();
    unit["ad_model"] = *o.adetailer;
    if (o.ad_prompt) unit["ad_prompt"] = *o.ad_prompt;
    if (o.ad_confidence) unit["ad_confidence"] = *o.ad_confidence;
    if (o.ad_denoise) unit["ad_denoising_strength"] = *o.ad_denoise;
    if (o.ad_mask_blur) unit["ad_mask_blur"] = *o.ad_mask_blur;
    if (o.ad_steps) {
      unit["ad_use_steps"] = true;
      unit["ad_steps"] = *o.ad_steps;
    }
    json::Value args = json::Value::array();
    args.push_back(true);
    args.push_back(false);
    args.push_back(unit);
    p["alwayson_scripts"]["ADetailer"]["args"] = args;
  }
  return p;
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "Generate images (txt2img, img2img, inpainting, HiRes.fix, ADetailer) "
                                                  "into PNGs carrying A1111/Forge infotexts");
  cmd->add_option("--model", o->model, "FLUX transformer or all-in-one checkpoint: a file, a diffusers folder, or a "
                                       "name in the checkpoint folders of --models-dir");
  cmd->add_option("--vae", o->vae, "Autoencoder file (ae.safetensors)");
  cmd->add_option("--clip", o->clip, "CLIP-L text encoder file (clip_l.safetensors)");
  cmd->add_option("--t5", o->t5, "T5-XXL text encoder file (t5xxl_fp16.safetensors)");
  cmd->add_option("--models-dir", o->models_dir, "Forge's or ComfyUI's models folder");
  cmd->add_option("--prompt", o->prompt, "The prompt; <lora:NAME:WEIGHT> tags load LoRAs");
  cmd->add_option("--negative-prompt", o->negative_prompt, "Negative prompt (used only with --cfg above 1)");
  cmd->add_option("--seed", o->seed, "Seed (-1: random, reported)");
  cmd->add_option("--width", o->width, "Width (multiple of 16; default 1024)");
  cmd->add_option("--height", o->height, "Height (multiple of 16; default 1024)");
  cmd->add_option("--steps", o->steps, "Sampling steps (default 20)");
  cmd->add_option("--sampler", o->sampler, "Euler, \"Euler a\", \"[Forge] Flux Realistic\", \"[Forge] Flux Realistic "
                                           "(2x Slow)\", \"DPM++ 2M\"");
  cmd->add_option("--scheduler", o->scheduler, "Simple, Beta, Normal, BFL");
  cmd->add_option("--cfg", o->cfg, "CFG scale (1 = one model call, negative prompt ignored)");
  cmd->add_option("--distilled-guidance", o->distilled_guidance, "Distilled CFG scale (default 3.5)");
  cmd->add_option("--storage", o->storage, "Weight storage: Automatic, bf16, fp8-e4m3fn, \"bnb-nf4 (fp16 LoRA)\", ...");
  cmd->add_option("--lora", o->loras, "LoRA FILE:WEIGHT or NAME:WEIGHT (repeatable)");
  cmd->add_option("--batch-size", o->batch_size, "Images per batch");
  cmd->add_option("--batch-count", o->batch_count, "Number of batches");
  cmd->add_option("--noise-source", o->noise_source, "cuda (Forge's GPU noise, default) or cpu (ComfyUI/BFL)");
  cmd->add_option("--step-cache", o->step_cache,
                  "off (default), fbcache (First-Block Cache) or teacache: reuse the transformer's residual on "
                  "steps that change little");
  cmd->add_option("--cache-threshold", o->cache_threshold,
                  "step cache threshold (default: fbcache 0.12, teacache 0.4; 0 reuses nothing)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--init-image", o->init_image, "img2img: the image to start from");
  cmd->add_option("--denoise", o->denoise, "Denoising strength for img2img and HiRes.fix");
  cmd->add_option("--mask", o->mask, "Inpainting mask (white = repaint)");
  cmd->add_option("--mask-blur", o->mask_blur, "Inpainting mask blur (default 4)");
  cmd->add_option("--hires-scale", o->hires_scale, "HiRes.fix: upscale factor (enables HiRes.fix)");
  cmd->add_option("--hires-upscaler", o->hires_upscaler, "HiRes.fix upscaler: an ESRGAN file name, Lanczos, Nearest, "
                                                         "Latent");
  cmd->add_option("--hires-steps", o->hires_steps, "HiRes.fix second-pass steps");
  cmd->add_option("--hr-prompt", o->hr_prompt, "HiRes.fix prompt (default: the prompt)");
  cmd->add_option("--hr-negative-prompt", o->hr_negative_prompt, "HiRes.fix negative prompt");
  cmd->add_option("--hr-sampler", o->hr_sampler, "HiRes.fix sampler (default: the sampler)");
  cmd->add_option("--hr-scheduler", o->hr_scheduler, "HiRes.fix scheduler (default: the scheduler)");
  cmd->add_option("--hr-cfg", o->hr_cfg, "HiRes.fix CFG scale");
  cmd->add_option("--hr-distilled-guidance", o->hr_distilled_guidance, "HiRes.fix distilled CFG scale");
  cmd->add_option("--adetailer", o->adetailer, "ADetailer detector (face_yolov8s.pt ...)");
  cmd->add_option("--ad-prompt", o->ad_prompt, "ADetailer prompt");
  cmd->add_option("--ad-confidence", o->ad_confidence, "ADetailer detection confidence");
  cmd->add_option("--ad-denoise", o->ad_denoise, "ADetailer denoising strength");
  cmd->add_option("--ad-steps", o->ad_steps, "ADetailer steps");
  cmd->add_option("--ad-mask-blur", o->ad_mask_blur, "ADetailer mask blur");
  cmd->add_option("--preset", o->preset, "fast, quality or max (explicit flags win)");
  cmd->add_option("--settings", o->settings_file, "A1111/Forge request JSON (txt2img/img2img fields, "
                                                  "alwayson_scripts ...); flags win. Images in it are file paths");
  cmd->add_option("--output", o->output, "Output folder")->required();
  cmd->add_option("--preview", o->preview, "Write a live preview PNG here while sampling");
  cmd->add_option("--preview-every", o->preview_every, "Preview every N steps")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--preview-type", o->preview_type, "\"Approx cheap\", \"TAESD\" (TAEF1 in VAE-approx/vae_approx) or \"Full\"")
      ->capture_default_str();
  cmd->add_flag("--keep-text-encoders", o->keep_text_encoders, "Keep CLIP and T5 in memory after encoding");
  cmd->add_option("--timings", o->timings, "Write the run's figures as JSON here (steps, s/step, total seconds, peak VRAM)");
  add_device_options(cmd, o->device);
  cmd->callback([o] {
    GenerationSettings settings = resolve_settings(to_patch(*o));
    settings.images_are_paths = true;
    for (const auto& n : settings.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    ModelManager models({o->models_dir, o->keep_text_encoders, false, o->device.resolve()});
    HashCache hashes;
    ProgressTracker progress;
    auto bar = terminal_progress_bar();
    StepTiming timing;
    std::unique_ptr<PreviewRenderer> renderer;
    int64_t last_preview = -1;
    if (!o->preview.empty()) {
      parse_preview_type(o->preview_type);  // refuse a bad name before loading anything
      progress.preview_every = o->preview_every;
    }
    progress.on_update = [&](const ProgressSnapshot& snap) {
      bar(snap);
      timing.on_update(snap);
      if (o->preview.empty() || snap.preview_step == last_preview || !snap.preview_latent.defined()) return;
      last_preview = snap.preview_step;
      if (!renderer)
        renderer = std::make_unique<PreviewRenderer>(parse_preview_type(o->preview_type), o->models_dir, &models.vae(),
                                                     models.placement());
      write_png(o->preview, renderer->render(snap.preview_latent));
    };
    Generator generator(models, hashes, progress);
    GenerationResult result;
    try {
      result = generator.run(resolve_request(settings, o->models_dir));
    } catch (const FieldError& e) {
      fail(e.what());
    }
    for (size_t i = settings.notes.size(); i < result.notes.size(); ++i)
      std::fprintf(stderr, "note: %s\n", result.notes[i].c_str());
    int number = next_image_number(o->output);
    for (const auto& img : result.images) {
      const std::string path = save_generated_image(o->output, number++, img.seed, img.image, img.infotext);
      std::printf("%s\n", path.c_str());
    }
    if (result.interrupted) fail("interrupted");
    report_timings(timing, models, o->timings);
  });
}

}  // namespace fluxgen::cli
