#include "pipeline/generation_settings.h"

#include <cmath>

#include "pipeline/json_fields.h"
#include "models/flux/step_cache.h"
#include "pipeline/presets.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {



void apply_override_settings(GenerationSettings& s, const json::Value& o) {
  if (!o.is_object()) throw FieldError("override_settings", "must be an object");
  get_string(o, "sd_model_checkpoint", s.model);
  get_string(o, "forge_unet_storage_dtype", s.storage);
  if (const json::Value* m = present_field(o, "forge_additional_modules")) {
    if (!m->is_array()) throw FieldError("override_settings.forge_additional_modules", "must be a list of file names");
    s.additional_modules.clear();
    for (const auto& e : m->as_array()) {
      if (!e.is_string()) throw FieldError("override_settings.forge_additional_modules", "must be a list of file names");
      s.additional_modules.push_back(e.as_string());
    }
  }
  if (const json::Value* vae = present_field(o, "sd_vae")) {
    if (!vae->is_string()) throw FieldError("override_settings.sd_vae", "must be a string");
    if (vae->as_string() != "Automatic" && vae->as_string() != "None") s.vae = vae->as_string();
  }
  get_string(o, "fluxgen_step_cache", s.step_cache);
  get_number(o, "fluxgen_cache_threshold", s.cache_threshold, 0.0, 10.0);
  if (const json::Value* r = present_field(o, "randn_source")) {
    if (!r->is_string()) throw FieldError("override_settings.randn_source", "must be \"GPU\" or \"CPU\"");
    const std::string v = to_lower(r->as_string());
    if (v == "gpu" || v == "cuda" || v == "nv") s.noise_source = "cuda";
    else if (v == "cpu") s.noise_source = "cpu";
    else throw FieldError("override_settings.randn_source", "must be \"GPU\" or \"CPU\"");
  }
}

void apply_scripts(GenerationSettings& s, const json::Value& scripts) {
  if (!scripts.is_object()) throw FieldError("alwayson_scripts", "must be an object");
  for (const auto& [name, script] : scripts.as_object()) {
    if (to_lower(name) != "adetailer") continue;  // other extensions' scripts do not apply to fluxgen
    const json::Value* args = script.find("args");
    if (!args || !args->is_array()) throw FieldError("alwayson_scripts.ADetailer.args", "must be a list");
    s.adetailer = *args;
  }
}

}  // namespace

void apply_settings_patch(GenerationSettings& s, const json::Value& p) {
  if (!p.is_object()) throw FieldError("body", "must be a JSON object");
  get_string(p, "prompt", s.prompt);
  get_string(p, "negative_prompt", s.negative_prompt);
  get_int(p, "seed", s.seed, -1, (int64_t(1) << 53));
  get_int(p, "steps", s.steps, 1, 150);
  // A1111 takes sampler_name, else the older sampler_index (still sent by some clients).
  if (present_field(p, "sampler_name")) get_string(p, "sampler_name", s.sampler);
  else get_string(p, "sampler_index", s.sampler);
  get_string(p, "scheduler", s.scheduler);
  get_number(p, "cfg_scale", s.cfg_scale, 0.0, 30.0);
  get_number(p, "distilled_cfg_scale", s.distilled_cfg_scale, 0.0, 30.0);
  get_int(p, "width", s.width, 16, 4096);
  get_int(p, "height", s.height, 16, 4096);
  get_int(p, "batch_size", s.batch_size, 1, 16);
  get_int(p, "n_iter", s.n_iter, 1, 100);
  get_string(p, "fluxgen_storage", s.storage);
  get_string(p, "noise_source", s.noise_source);
  get_string(p, "fluxgen_step_cache", s.step_cache);
  get_number(p, "fluxgen_cache_threshold", s.cache_threshold, 0.0, 10.0);

  get_bool(p, "enable_hr", s.hires.enabled);
  get_number(p, "hr_scale", s.hires.scale, 1.0, 4.0);
  get_string(p, "hr_upscaler", s.hires.upscaler);
  get_int(p, "hr_second_pass_steps", s.hires.steps, 0, 150);
  get_number(p, "denoising_strength", s.denoising_strength, 0.0, 1.0);
  get_string(p, "hr_prompt", s.hires.prompt);
  get_string(p, "hr_negative_prompt", s.hires.negative_prompt);
  get_number(p, "hr_cfg", s.hires.cfg, 0.0, 30.0);
  get_number(p, "hr_distilled_cfg", s.hires.distilled_cfg, 0.0, 30.0);
  get_string(p, "hr_sampler_name", s.hires.sampler);
  get_string(p, "hr_scheduler", s.hires.scheduler);
  if (s.hires.sampler == "Use same sampler") s.hires.sampler.clear();
  if (s.hires.scheduler == "Use same scheduler") s.hires.scheduler.clear();

  if (const json::Value* imgs = present_field(p, "init_images")) {
    if (!imgs->is_array() || imgs->size() == 0 || !imgs->at(0).is_string())
      throw FieldError("init_images", "must be a list with at least one base64 image");
    s.init_image = imgs->at(0).as_string();
  }
  get_string(p, "init_image", s.init_image);
  get_string(p, "mask", s.mask);
  get_int(p, "mask_blur", s.mask_blur, 0, 64);
  get_bool(p, "inpaint_full_res", s.inpaint_full_res);
  get_int(p, "inpaint_full_res_padding", s.inpaint_full_res_padding, 0, 256);
  get_int(p, "inpainting_fill", s.inpainting_fill, 0, 3);
  get_int(p, "resize_mode", s.resize_mode, 0, 3);
  get_string(p, "preset", s.preset);
  get_string(p, "model", s.model);
  get_string(p, "vae", s.vae);
  get_string(p, "clip", s.clip);
  get_string(p, "t5", s.t5);
  if (const json::Value* loras = present_field(p, "loras")) {
    if (!loras->is_array()) throw FieldError("loras", "must be a list of \"FILE:WEIGHT\" strings");
    for (const auto& l : loras->as_array()) {
      if (!l.is_string()) throw FieldError("loras", "must be a list of \"FILE:WEIGHT\" strings");
      try {
        s.loras.push_back(lora::parse_lora_argument(l.as_string()));
      } catch (const Error& e) {
        throw FieldError("loras", e.what());
      }
    }
  }
  if (const json::Value* o = present_field(p, "override_settings")) apply_override_settings(s, *o);
  if (const json::Value* a = present_field(p, "alwayson_scripts")) apply_scripts(s, *a);
}

void validate_settings(GenerationSettings& s) {
  for (int* dim : {&s.width, &s.height}) {
    if (*dim % 16 != 0) {
      const int rounded = std::max(16, (*dim + 8) / 16 * 16);
      s.notes.push_back(std::string(dim == &s.width ? "width" : "height") + " " + std::to_string(*dim) +
                        " rounded to " + std::to_string(rounded) + " (FLUX needs multiples of 16)");
      *dim = rounded;
    }
  }
  if (static_cast<int64_t>(s.width) * s.height > 4096LL * 4096LL)
    throw FieldError("width", "image of " + std::to_string(s.width) + "x" + std::to_string(s.height) + " is too large");
  if (s.noise_source != "cpu" && s.noise_source != "cuda")
    throw FieldError("noise_source", "must be \"cpu\" or \"cuda\", got \"" + s.noise_source + "\"");
  try {
    s.step_cache = flux::step_cache_mode_name(flux::parse_step_cache_mode(s.step_cache));
  } catch (const Error& e) {
    throw FieldError("fluxgen_step_cache", e.what());
  }
  if (s.cfg_scale <= 1.0 && !trim(s.negative_prompt).empty())
    s.notes.push_back("negative prompt ignored at CFG scale 1 (as in Forge); raise CFG above 1 to use it");
  if (s.hires.enabled && s.hires.steps == 0) s.hires.steps = s.steps;
  if (!s.mask.empty() && s.init_image.empty()) throw FieldError("mask", "a mask needs an init image");
}

flux::StepCacheSettings step_cache_settings(const GenerationSettings& s) {
  flux::StepCacheSettings c;
  c.mode = flux::parse_step_cache_mode(s.step_cache);
  c.threshold = c.mode == flux::StepCacheMode::Off ? 0.0
                : s.cache_threshold < 0.0       ? flux::default_cache_threshold(c.mode)
                                                : s.cache_threshold;
  return c;
}

namespace {
// The preset named in the patch, then the patch, over what `s` holds.
void resolve_into(GenerationSettings& s, const json::Value& patch) {
  if (const json::Value* preset = present_field(patch, "preset")) {
    if (!preset->is_string()) throw FieldError("preset", "must be a string");
    try {
      apply_settings_patch(s, find_preset(preset->as_string()).patch);
    } catch (const Error& e) {
      throw FieldError("preset", e.what());
    }
  }
  apply_settings_patch(s, patch);
  validate_settings(s);
}
}  // namespace

GenerationSettings resolve_settings(const json::Value& patch) {
  GenerationSettings s;
  resolve_into(s, patch);
  return s;
}

GenerationSettings resolve_settings(const json::Value& patch, const GenerationSettings& base) {
  GenerationSettings s = base;
  resolve_into(s, patch);
  return s;
}

}  // namespace fluxgen
