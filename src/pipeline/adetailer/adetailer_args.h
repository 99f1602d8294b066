// ADetailer's per-unit arguments (Bing-su/adetailer v25.3 adetailer/args.py, a pydantic v1 model
// with extra=forbid), with their names, defaults and constraints, parsed from the extension's JSON:
// the API's {"ADetailer": {"args": [enable, skip_img2img, {unit}, {unit} …]}} or one unit object.
// Values are coerced as pydantic v1 does (bool from 0/1 and "true"/"no"…, int from floats by
// truncation and from numeric strings, str from numbers); a key the model does not know, a value
// it cannot coerce or one outside its range invalidates that whole unit, and the error names the
// key. One addition: the pre-2024 name ad_mask_k_largest is accepted for ad_mask_k (old
// infotexts and API clients still send it).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/json.h"
#include "pipeline/infotext.h"

namespace fluxgen::adetailer {

enum class MaskFilterMethod { Area, Confidence };
enum class MergeInvert { None, Merge, MergeAndInvert };

struct ADetailerArgs {
  std::string ad_model = "None";
  std::string ad_model_classes;
  bool ad_tab_enable = true;
  std::string ad_prompt;
  std::string ad_negative_prompt;
  double ad_confidence = 0.3;                                     // [0, 1]
  MaskFilterMethod ad_mask_filter_method = MaskFilterMethod::Area;  // "Area" | "Confidence"
  int64_t ad_mask_k = 0;                                          // >= 0; 0 keeps all
  double ad_mask_min_ratio = 0.0;                                 // [0, 1]
  double ad_mask_max_ratio = 1.0;                                 // [0, 1]
  int64_t ad_dilate_erode = 4;
  int64_t ad_x_offset = 0;
  int64_t ad_y_offset = 0;
  MergeInvert ad_mask_merge_invert = MergeInvert::None;           // "None" | "Merge" | "Merge and Invert"
  int64_t ad_mask_blur = 4;                                       // >= 0
  double ad_denoising_strength = 0.4;                             // [0, 1]
  bool ad_inpaint_only_masked = true;
  int64_t ad_inpaint_only_masked_padding = 32;                    // >= 0
  bool ad_use_inpaint_width_height = false;
  int64_t ad_inpaint_width = 512;                                 // > 0
  int64_t ad_inpaint_height = 512;                                // > 0
  bool ad_use_steps = false;
  int64_t ad_steps = 28;                                          // > 0
  bool ad_use_cfg_scale = false;
  double ad_cfg_scale = 7.0;                                      // >= 0
  bool ad_use_checkpoint = false;
  std::optional<std::string> ad_checkpoint;
  bool ad_use_vae = false;
  std::optional<std::string> ad_vae;
  bool ad_use_sampler = false;
  std::string ad_sampler = "DPM++ 2M Karras";
  std::string ad_scheduler = "Use same scheduler";
  bool ad_use_noise_multiplier = false;
  double ad_noise_multiplier = 1.0;                               // [0.5, 1.5]
  bool ad_use_clip_skip = false;
  int64_t ad_clip_skip = 1;                                       // [1, 12]
  bool ad_restore_face = false;
  std::string ad_controlnet_model = "None";
  std::string ad_controlnet_module = "None";
  double ad_controlnet_weight = 1.0;                              // [0, 1]
  double ad_controlnet_guidance_start = 0.0;                      // [0, 1]
  double ad_controlnet_guidance_end = 1.0;                        // [0, 1]
  bool is_api = true;

  // ADetailerArgs.need_skip: no model, or the tab is switched off.
  bool need_skip() const { return ad_model == "None" || !ad_tab_enable; }
  bool is_mediapipe() const;

  // The effective values ADetailer's get_i2i_p uses (generation's own when not overridden).
  int64_t steps_or(int64_t generation_steps) const { return ad_use_steps ? ad_steps : generation_steps; }
  double cfg_scale_or(double generation_cfg) const { return ad_use_cfg_scale ? ad_cfg_scale : generation_cfg; }
  std::pair<int64_t, int64_t> size_or(int64_t width, int64_t height) const;
};

// One unit object; throws fluxgen::Error "<what>: <key>: <problem>" for the first problem.
ADetailerArgs parse_adetailer_args(const json::Value& unit, std::string_view what = "ADetailer arguments");

// The script's argument list, as ADetailer's is_ad_enabled / set_skip_img2img / get_args read it.
struct ADetailerScriptArgs {
  bool enabled = false;       // args[0] when a bool (else true), and some valid unit not skipped
  bool skip_img2img = false;  // args[1] when a bool
  std::vector<ADetailerArgs> units;  // the valid units, in order (including skipped ones)
  std::vector<std::string> rejected; // one message per invalid unit ("1st unit: …")
};

// `args` is the list, or an object holding it under "args" (the alwayson_scripts entry).
ADetailerScriptArgs parse_adetailer_script_args(const json::Value& args);

// The infotext entries ADetailer adds for unit n (0-based: " 2nd", " 3rd" … suffixes after the
// first), with its defaults left out exactly as ADetailerArgs.extra_params pops them; values as
// Python's str(). Empty for a skipped unit.
InfotextParams adetailer_infotext_params(const ADetailerArgs& args, int n);

// Every unit's entries (numbered by position among the valid units, skipped ones included, as
// ADetailer numbers them), then "ADetailer version".
InfotextParams adetailer_infotext(const std::vector<ADetailerArgs>& units);

// The ADetailer release whose behaviour fluxgen follows, written as "ADetailer version".
constexpr const char* kADetailerVersion = "25.3.0";

// "1st", "2nd", "11th" … (ADetailer's ordinal).
std::string ordinal(int n);

}  // namespace fluxgen::adetailer
