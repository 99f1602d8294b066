#include "server/request_validation.h"

#include <algorithm>

#include "io/image/image_io.h"
#include "nn/storage_option.h"
#include "pipeline/image_upscale.h"
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

// The server's rule for detectors: names in the detector folders only, 404 when not installed.
void check_adetailer(const json::Value& body, ModelCatalog& catalog, const GenerationRequest& r) {
  const GenerationSettings& s = r.settings;
  for (const ADetailerUnitRequest& u : r.adetailer) {
    const adetailer::ADetailerArgs& unit = u.args;
    if (unit.is_mediapipe()) continue;
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

// The server's rule for HiRes.fix's upscaler: a built-in or a file of the upscaler folders by name.
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
}

// A FieldError of the shared parsing, as the 422 naming the field this client used.
ApiError as_validation_error(const json::Value& body, const FieldError& e) {
  std::string field = e.field();
  if (field == "sampler_name" && !body.contains("sampler_name") && body.contains("sampler_index")) field = "sampler_index";
  if (field == "forge_unet_storage_dtype") field = field_used(body, "fluxgen_storage", "forge_unet_storage_dtype");
  return validation_error(field, e.reason());
}

}  // namespace

GenerationRequest request_from_body(const json::Value& body, GenerationMode mode, const OptionValues& options,
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

  // Names parsed once (the generator reads the types), then the server's own rules for files
  // (names inside the models folders, 404 when not installed), then the files and images.
  GenerationRequest r;
  try {
    r = parse_request(std::move(s));
  } catch (const FieldError& e) {
    throw as_validation_error(body, e);
  }
  r.settings.storage = r.storage.label;  // Forge's spelling in the API's info, whatever alias was sent
  check_hires(body, catalog, r.settings);
  resolve_models(body, options, catalog, r.settings);
  resolve_loras(catalog, r.settings);
  check_adetailer(body, catalog, r);
  try {
    resolve_request_files(r, catalog.models_dir());
  } catch (const FieldError& e) {
    throw as_validation_error(body, e);
  }
  return r;
}

}  // namespace fluxgen::server
