#include "server/request_validation.h"

#include <algorithm>

#include "io/image/image_io.h"
#include "nn/storage_option.h"
#include "pipeline/adetailer/adetailer_args.h"
#include "pipeline/image_upscale.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "server/api_error.h"
#include "text/prompt.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// The field a client used for a setting that several fields reach (the fluxgen name or A1111's
// override), so the error names what the client actually sent.
std::string field_used(const json::Value& body, const char* own, const char* override_key) {
  if (body.contains(own)) return own;
  return std::string("override_settings.") + override_key;
}

void check_name(const char* field, const std::string& name, void (*parse)(std::string_view)) {
  try {
    parse(name);
  } catch (const Error& e) {
    throw validation_error(field, e.what());
  }
}

void check_image(const char* field, const std::string& base64) {
  try {
    decode_image_base64(base64, field);
  } catch (const Error& e) {
    throw validation_error(field, e.what());
  }
}

bool is_path(const std::string& name) { return name.find('/') != std::string::npos || name.find('\\') != std::string::npos; }

// A file of `kind` by name, as a path inside the models folders; 404 naming `field` otherwise.
std::string resolve_file(ModelCatalog& catalog, ModelFolder kind, const std::string& name, const std::string& field,
                         const char* what) {
  const auto found = catalog.find(kind, name);
  if (!found) throw not_found(field, std::string(what) + " \"" + name + "\" not found in " + catalog.folder_names(kind));
  return found->path;
}

void resolve_models(const json::Value& body, const OptionValues& options, ModelCatalog& catalog, GenerationSettings& s) {
  if (s.model.empty()) {
    if (catalog.list(ModelFolder::Checkpoints).empty())
      throw not_found("override_settings.sd_model_checkpoint",
                      "no checkpoint installed: put a FLUX model (flux1-dev.safetensors, flux1-dev-bnb-nf4-v2.safetensors "
                      "...) into one of " + catalog.folder_names(ModelFolder::Checkpoints));
  } else if (s.model != options.checkpoint_path) {
    s.model = resolve_file(catalog, ModelFolder::Checkpoints, s.model, field_used(body, "model", "sd_model_checkpoint"),
                           "model");
  }
  if (!s.vae.empty())
    s.vae = resolve_file(catalog, ModelFolder::Vae, s.vae, field_used(body, "vae", "sd_vae"), "VAE");
  if (!s.clip.empty()) s.clip = resolve_file(catalog, ModelFolder::TextEncoders, s.clip, "clip", "text encoder");
  if (!s.t5.empty()) s.t5 = resolve_file(catalog, ModelFolder::TextEncoders, s.t5, "t5", "text encoder");
  for (std::string& m : s.additional_modules) {
    if (std::find(options.module_paths.begin(), options.module_paths.end(), m) != options.module_paths.end()) continue;
    const auto found = catalog.find_any({ModelFolder::Vae, ModelFolder::TextEncoders}, m);
    if (!found)
      throw not_found("override_settings.forge_additional_modules",
                      "module \"" + m + "\" not found in " + catalog.folder_names(ModelFolder::Vae) + ", " +
                          catalog.folder_names(ModelFolder::TextEncoders));
    m = found->path;
  }
}

void resolve_loras(ModelCatalog& catalog, GenerationSettings& s) {
  for (lora::LoraRequest& l : s.loras) {
    const auto found = catalog.find(ModelFolder::Loras, l.path);
    if (!found)
      throw not_found("loras", "LoRA \"" + l.path + "\" not found in " + catalog.folder_names(ModelFolder::Loras));
    l.path = found->name;  // the generator resolves names in the LoRA folders only
  }
  ParsedPrompt prompt;
  try {
    prompt = parse_prompt(s.prompt);
  } catch (const Error& e) {
    throw validation_error("prompt", e.what());
  }
  for (const PromptLora& l : prompt.loras) {
    if (is_path(l.name))
      throw validation_error("prompt", "LoRA tag " + l.tag + " names a path; name a file of the LoRA folders by its stem");
    if (!catalog.find(ModelFolder::Loras, l.name))
      throw not_found("prompt", "LoRA \"" + l.name + "\" (" + l.tag + ") not found in " +
                                    catalog.folder_names(ModelFolder::Loras));
  }
}

// "preset \"quality\" needs ...: " when the preset, not the request, chose what is missing.
std::string preset_prefix(const json::Value& body, const GenerationSettings& s, const char* field) {
  if (s.preset.empty() || body.contains(field)) return "";
  return "preset \"" + s.preset + "\" needs a model file that is not installed: ";
}

void check_adetailer(const json::Value& body, ModelCatalog& catalog, const GenerationSettings& s) {
  adetailer::ADetailerScriptArgs args;
  try {
    args = adetailer::parse_adetailer_script_args(s.adetailer);
  } catch (const Error& e) {
    throw validation_error("alwayson_scripts.ADetailer.args", e.what());
  }
  if (!args.enabled) return;
  for (const adetailer::ADetailerArgs& unit : args.units) {
    if (unit.need_skip() || unit.is_mediapipe()) continue;
    if (is_path(unit.ad_model))
      throw validation_error("alwayson_scripts.ADetailer.args", "ad_model \"" + unit.ad_model +
                                                                    "\" is a path; name a file of the detector folders");
    if (!catalog.find(ModelFolder::Detectors, unit.ad_model))
      throw not_found("alwayson_scripts.ADetailer.args",
                      preset_prefix(body, s, "alwayson_scripts") + "ADetailer model \"" + unit.ad_model +
                          "\" not found: put it into one of " +
                          catalog.folder_names(ModelFolder::Detectors));
  }
}

void check_hires(const json::Value& body, ModelCatalog& catalog, const GenerationSettings& s) {
  if (!s.hires.enabled) return;
  if (is_path(s.hires.upscaler))
    throw validation_error("hr_upscaler", "upscaler \"" + s.hires.upscaler +
                                              "\" is a path; name a built-in upscaler or a file of the upscaler folders");
  try {
    resolve_upscaler(s.hires.upscaler, catalog.models_dir(), "hr_upscaler");
  } catch (const FieldError& e) {
    throw validation_error(e.field(), preset_prefix(body, s, "hr_upscaler") + e.reason());
  }
  if (!s.hires.sampler.empty()) check_name("hr_sampler_name", s.hires.sampler, [](std::string_view n) { sampling::parse_sampler(n); });
  if (!s.hires.scheduler.empty())
    check_name("hr_scheduler", s.hires.scheduler, [](std::string_view n) { sampling::parse_scheduler(n); });
}

}  // namespace

GenerationSettings settings_from_request(const json::Value& body, GenerationMode mode, const OptionValues& options,
                                         ModelCatalog& catalog) {
  if (!body.is_object()) throw validation_error("body", "must be a JSON object");
  json::Value patch = body;
  json::Object& fields = patch.as_object();
  // "init_image" is the command line's file path; over HTTP images come as base64 in init_images.
  std::erase_if(fields, [&](const auto& kv) {
    return kv.first == "init_image" || (mode == GenerationMode::Txt2Img && (kv.first == "init_images" || kv.first == "mask"));
  });
  for (const char* flag : {"send_images", "save_images", "include_init_images"}) {
    const json::Value* v = body.find(flag);
    if (v && !v->is_null() && !v->is_bool()) throw validation_error(flag, "must be true or false");
  }
  if (mode == GenerationMode::Img2Img) {
    const json::Value* images = body.find("init_images");
    if (!images || images->is_null()) throw validation_error("init_images", "field required: a list of base64 images");
  }

  GenerationSettings base;
  base.model = options.checkpoint_path;
  base.storage = options.storage;
  base.additional_modules = options.module_paths;
  GenerationSettings s;
  try {
    s = resolve_settings(patch, base);
  } catch (const FieldError& e) {
    throw validation_error(e.field(), e.reason());
  } catch (const Error& e) {
    throw validation_error("body", e.what());
  }
  s.images_are_paths = false;

  check_name(body.contains("sampler_name") || !body.contains("sampler_index") ? "sampler_name" : "sampler_index", s.sampler, [](std::string_view n) { sampling::parse_sampler(n); });
  check_name("scheduler", s.scheduler, [](std::string_view n) { sampling::parse_scheduler(n); });
  try {
    s.storage = parse_storage_option(s.storage).label;
  } catch (const Error& e) {
    throw validation_error(field_used(body, "fluxgen_storage", "forge_unet_storage_dtype"), e.what());
  }
  check_hires(body, catalog, s);
  resolve_models(body, options, catalog, s);
  resolve_loras(catalog, s);
  check_adetailer(body, catalog, s);
  if (mode == GenerationMode::Img2Img) {
    check_image("init_images", s.init_image);
    if (!s.mask.empty()) check_image("mask", s.mask);
  }
  return s;
}

}  // namespace fluxgen::server
