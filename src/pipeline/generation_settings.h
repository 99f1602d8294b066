// Everything one generation job needs, resolved and validated: defaults, then a preset, then the
// request's explicit fields (A1111/Forge API names, which the CLI also maps its flags onto), so
// the command line and the HTTP API share one set of rules and one set of error messages.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/json.h"
#include "lora/lora_request.h"
#include "util/error.h"
#include "models/flux/step_cache.h"

namespace fluxgen {

// A request field that is wrong: the HTTP API answers 422 naming `field`.
class FieldError : public std::runtime_error {
 public:
  FieldError(std::string field, const std::string& reason)
      : std::runtime_error(field + ": " + reason), field_(std::move(field)), reason_(reason) {}
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string field_;
  std::string reason_;
};

struct HiresSettings {
  bool enabled = false;
  double scale = 2.0;
  std::string upscaler = "Latent";
  int steps = 0;  // 0: the generation's steps; its strength is GenerationSettings::denoising_strength
  std::string prompt, negative_prompt;  // "" = the generation's
  double cfg = 1.0;
  double distilled_cfg = 3.5;
  std::string sampler, scheduler;  // "" = the generation's
};

struct GenerationSettings {
  std::string prompt;
  std::string negative_prompt;
  int64_t seed = -1;  // -1: random, reported
  int width = 1024;
  int height = 1024;
  int steps = 20;
  std::string sampler = "Euler";
  std::string scheduler = "Simple";
  double cfg_scale = 1.0;
  double distilled_cfg_scale = 3.5;
  int batch_size = 1;
  int n_iter = 1;
  std::string storage = "Automatic";  // Forge's "Diffusion in Low Bits" label
  std::string noise_source = "cuda";  // Forge's default ("GPU"); "cpu" as ComfyUI/BFL
  // Step caching (models/flux/step_cache.h): "off", "fbcache" or "teacache", and its threshold
  // (< 0: the mode's default). step_cache_settings() gives what is in force.
  std::string step_cache = "off";
  double cache_threshold = -1.0;
  std::vector<lora::LoraRequest> loras;

  // img2img / inpainting
  std::string init_image;  // a path (CLI) or base64 PNG (API)
  double denoising_strength = 0.75;
  std::string mask;
  int mask_blur = 4;
  bool inpaint_full_res = false;  // "only masked"
  int inpaint_full_res_padding = 32;
  int inpainting_fill = 1;  // 1 = original
  int resize_mode = 0;

  HiresSettings hires;
  json::Value adetailer = json::Value::array();  // the extension's units, validated by the ADetailer stage
  std::string preset;

  // Model files (names or paths); "" = discovered. Forge's forge_additional_modules (VAE and text
  // encoder files by name) land in additional_modules and are classified when loading.
  std::string model, vae, clip, t5;
  std::vector<std::string> additional_modules;

  // init_image/mask are file paths (the CLI) rather than base64 (the HTTP API, which must never
  // read server files on a client's behalf). Not settable through JSON.
  bool images_are_paths = false;

  // Messages for the user about adjustments made (e.g. a size rounded to a multiple of 16).
  std::vector<std::string> notes;
};

// Runs `f`, turning a plain fluxgen::Error into a FieldError naming `field` (FieldErrors pass
// unchanged): how the request's parsing and the generator name the field a failure belongs to.
template <typename F>
auto as_field_error(const char* field, F&& f) {
  try {
    return f();
  } catch (const FieldError&) {
    throw;
  } catch (const Error& e) {
    throw FieldError(field, e.what());
  }
}

// Applies the fields present in `patch` (A1111 names, including override_settings and
// alwayson_scripts.ADetailer) to `s`, validating each. Throws FieldError.
void apply_settings_patch(GenerationSettings& s, const json::Value& patch);

// defaults -> preset named in the patch (or `preset`) -> the patch itself.
GenerationSettings resolve_settings(const json::Value& patch);
// The same from `base` instead of the defaults (the server's /options, which a request's preset
// and fields override).
GenerationSettings resolve_settings(const json::Value& patch, const GenerationSettings& base);

// The step cache in force: the mode, and the threshold given or that mode's default.
flux::StepCacheSettings step_cache_settings(const GenerationSettings& s);

// Checks the ranges and relationships that single fields cannot (called by resolve_settings).
void validate_settings(GenerationSettings& s);

}  // namespace fluxgen
