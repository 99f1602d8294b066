// Request resolution: defaults, presets, explicit fields (A1111 names) and their validation.
#include <gtest/gtest.h>

#include "pipeline/generation_settings.h"
#include "pipeline/presets.h"
#include "util/error.h"

namespace fluxgen {
namespace {

GenerationSettings resolve(const std::string& body) { return resolve_settings(json::parse(body)); }

std::string field_of_error(const std::string& body) {
  try {
    resolve(body);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "";
}

TEST(GenerationSettings, DefaultsAndA1111Fields) {
  const GenerationSettings s = resolve(R"J({"prompt": "a photo", "steps": 12, "sampler_name": "Euler a",
      "width": 896, "height": 1152, "seed": 1234, "batch_size": 2, "n_iter": 3, "distilled_cfg_scale": 3.5,
      "override_settings": {"forge_unet_storage_dtype": "bnb-nf4 (fp16 LoRA)", "sd_model_checkpoint": "flux1-dev-bnb-nf4-v2",
                            "forge_additional_modules": ["ae.safetensors", "clip_l.safetensors"], "randn_source": "CPU"}})J");
  EXPECT_EQ(s.prompt, "a photo");
  EXPECT_EQ(s.steps, 12);
  EXPECT_EQ(s.sampler, "Euler a");
  EXPECT_EQ(s.width, 896);
  EXPECT_EQ(s.height, 1152);
  EXPECT_EQ(s.seed, 1234);
  EXPECT_EQ(s.batch_size * s.n_iter, 6);
  EXPECT_EQ(s.storage, "bnb-nf4 (fp16 LoRA)");
  EXPECT_EQ(s.model, "flux1-dev-bnb-nf4-v2");
  EXPECT_EQ(s.additional_modules.size(), 2u);
  EXPECT_EQ(s.noise_source, "cpu");
  EXPECT_TRUE(s.notes.empty());
}

TEST(GenerationSettings, PresetThenExplicitFieldsWin) {
  const GenerationSettings q = resolve(R"({"preset": "quality", "prompt": "x"})");
  EXPECT_EQ(q.steps, 12);
  EXPECT_EQ(q.sampler, "[Forge] Flux Realistic");
  EXPECT_TRUE(q.hires.enabled);
  EXPECT_EQ(q.hires.steps, 8);
  EXPECT_DOUBLE_EQ(q.hires.scale, 1.3);
  EXPECT_EQ(q.hires.upscaler, "4x-UltraSharp");
  EXPECT_DOUBLE_EQ(q.denoising_strength, 0.3);
  EXPECT_EQ(q.storage, "bnb-nf4 (fp16 LoRA)");
  ASSERT_EQ(q.adetailer.size(), 3u);
  EXPECT_EQ(q.adetailer.at(2).at("ad_steps").as_int(), 18);
  const GenerationSettings m = resolve(R"({"preset": "max", "steps": 20, "enable_hr": false})");
  EXPECT_EQ(m.steps, 20);
  EXPECT_FALSE(m.hires.enabled);
  EXPECT_EQ(m.storage, "float8-e4m3fn (fp16 LoRA)");
  EXPECT_EQ(m.sampler, "[Forge] Flux Realistic (1.25x Slow)");
  const GenerationSettings f = resolve(R"({"preset": "fast"})");
  EXPECT_EQ(f.steps, 8);
  EXPECT_EQ(f.hires.steps, 6);
  EXPECT_FALSE(f.adetailer.at(0).as_bool());
}

TEST(GenerationSettings, ValidationNamesTheField) {
  EXPECT_EQ(field_of_error(R"({"steps": 0})"), "steps");
  EXPECT_EQ(field_of_error(R"({"steps": "ten"})"), "steps");
  EXPECT_EQ(field_of_error(R"({"steps": 2.5})"), "steps");
  EXPECT_EQ(field_of_error(R"({"width": 100000})"), "width");
  EXPECT_EQ(field_of_error(R"({"cfg_scale": -1})"), "cfg_scale");
  EXPECT_EQ(field_of_error(R"({"batch_size": 0})"), "batch_size");
  EXPECT_EQ(field_of_error(R"({"prompt": 5})"), "prompt");
  EXPECT_EQ(field_of_error(R"({"enable_hr": "yes"})"), "enable_hr");
  EXPECT_EQ(field_of_error(R"({"denoising_strength": 1.5})"), "denoising_strength");
  EXPECT_EQ(field_of_error(R"({"init_images": []})"), "init_images");
  EXPECT_EQ(field_of_error(R"({"mask": "abc"})"), "mask");
  EXPECT_EQ(field_of_error(R"({"preset": "ultra"})"), "preset");
  EXPECT_EQ(field_of_error(R"({"override_settings": {"forge_additional_modules": "ae.safetensors"}})"),
            "override_settings.forge_additional_modules");
  EXPECT_EQ(field_of_error(R"({"alwayson_scripts": {"ADetailer": {"args": {}}}})"), "alwayson_scripts.ADetailer.args");
  EXPECT_EQ(field_of_error(R"({"loras": ["me.safetensors:nan"]})"), "loras");
  EXPECT_EQ(field_of_error(R"([1, 2])"), "body");
  // Fields A1111 clients send that fluxgen does not use are ignored, not errors.
  EXPECT_EQ(field_of_error(R"({"restore_faces": false, "tiling": false, "styles": [], "send_images": true})"), "");
}

TEST(GenerationSettings, SizesRoundToSixteenWithANote) {
  const GenerationSettings s = resolve(R"({"width": 1000, "height": 1030, "negative_prompt": "blurry"})");
  EXPECT_EQ(s.width, 1008);
  EXPECT_EQ(s.height, 1024);
  ASSERT_EQ(s.notes.size(), 3u);
  EXPECT_NE(s.notes[0].find("width 1000 rounded to 1008"), std::string::npos);
  EXPECT_NE(s.notes[2].find("negative prompt ignored"), std::string::npos);
}

TEST(Presets, SnippetsAndJson) {
  EXPECT_EQ(presets().size(), 3u);
  EXPECT_THROW(find_preset("nope"), Error);
  EXPECT_EQ(prompt_snippets().size(), 5u);
  const json::Value j = presets_json();
  EXPECT_EQ(j.at("presets").size(), 3u);
  EXPECT_NE(j.at("prompt_snippets").at("negative").as_string().find("plastic skin"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen
