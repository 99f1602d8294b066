#include "pipeline/presets.h"

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
// The document's face pass: ADetailer with face_yolov8s.pt, its prompt and numbers.
json::Value adetailer_face_unit(int steps) {
  return json::parse(R"({"ad_model": "face_yolov8s.pt",
    "ad_prompt": "perfect detailed face, sharp eyes, natural skin texture",
    "ad_confidence": 0.7, "ad_denoising_strength": 0.45, "ad_mask_blur": 12,
    "ad_inpaint_only_masked": true, "ad_use_steps": true, "ad_steps": )" + std::to_string(steps) + "}");
}

Preset make(const std::string& name, const std::string& description, const std::string& sampler, int steps,
            int hr_steps, int ad_steps, const std::string& storage) {
  json::Value p = json::Value::object();
  p["sampler_name"] = sampler;
  p["scheduler"] = "Simple";
  p["steps"] = steps;
  p["cfg_scale"] = 1.0;
  p["distilled_cfg_scale"] = 3.5;
  p["enable_hr"] = true;
  p["hr_scale"] = 1.3;
  p["hr_upscaler"] = "4x-UltraSharp";
  p["hr_second_pass_steps"] = hr_steps;
  p["denoising_strength"] = 0.3;
  p["override_settings"] = json::Value::object();
  p["override_settings"]["forge_unet_storage_dtype"] = storage;
  json::Value args = json::Value::array();
  if (ad_steps > 0) {
    args.push_back(true);
    args.push_back(false);
    args.push_back(adetailer_face_unit(ad_steps));
  } else {
    args.push_back(false);
  }
  p["alwayson_scripts"] = json::Value::object();
  p["alwayson_scripts"]["ADetailer"] = json::Value::object();
  p["alwayson_scripts"]["ADetailer"]["args"] = args;
  return Preset{name, description, p};
}
}  // namespace

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = {
      make("fast", "8 steps, HiRes.fix x1.3 (6 steps), no ADetailer, bnb-nf4 (fp16 LoRA)", "[Forge] Flux Realistic", 8, 6,
           0, "bnb-nf4 (fp16 LoRA)"),
      make("quality", "12 steps, HiRes.fix x1.3 (8 steps), ADetailer face pass (18 steps), bnb-nf4 (fp16 LoRA)",
           "[Forge] Flux Realistic", 12, 8, 18, "bnb-nf4 (fp16 LoRA)"),
      make("max", "16 steps with the slow sampler, HiRes.fix x1.3 (12 steps), ADetailer (25 steps), "
                  "float8-e4m3fn (fp16 LoRA)",
           "[Forge] Flux Realistic (1.25x Slow)", 16, 12, 25, "float8-e4m3fn (fp16 LoRA)"),
  };
  return all;
}

const Preset& find_preset(const std::string& name) {
  for (const Preset& p : presets())
    if (p.name == to_lower(trim(name))) return p;
  std::vector<std::string> names;
  for (const Preset& p : presets()) names.push_back(p.name);
  fail("unknown preset \"", name, "\"; presets: ", join(names, ", "));
}

const std::vector<PromptSnippet>& prompt_snippets() {
  static const std::vector<PromptSnippet> all = {
      {"portrait",
       "professional portrait photography, natural lighting, detailed skin texture, realistic proportions, high "
       "quality, sharp focus, natural expression"},
      {"negative",
       "artificial, plastic skin, oversaturated, cartoon, anime, painting, unrealistic proportions, blurry, low "
       "quality"},
      {"lighting",
       "natural daylight, soft lighting, professional photography lighting, golden hour lighting, studio lighting"},
      {"skin", "detailed skin texture, natural skin, realistic skin pores, natural skin imperfections, photorealistic skin"},
      {"composition",
       "professional composition, rule of thirds, shallow depth of field, bokeh background, portrait photography"},
  };
  return all;
}

json::Value presets_json() {
  json::Value out = json::Value::object();
  json::Value list = json::Value::array();
  for (const Preset& p : presets()) {
    json::Value e = json::Value::object();
    e["name"] = p.name;
    e["description"] = p.description;
    e["settings"] = p.patch;
    list.push_back(e);
  }
  out["presets"] = list;
  json::Value snippets = json::Value::object();
  for (const PromptSnippet& s : prompt_snippets()) snippets[s.name] = s.text;
  out["prompt_snippets"] = snippets;
  out["lora_weights"] = json::parse(R"({"portrait": [0.7, 0.9], "full body": [0.6, 0.8], "group photo": [0.5, 0.7]})");
  return out;
}

}  // namespace fluxgen
