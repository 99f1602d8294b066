// A request's names parsed once into types and files (pipeline/generation_request.h), the one
// name-to-file rule (model_file_matches) and the infotext assembled from a request.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/image/image_io.h"
#include "io/json.h"
#include "pipeline/generation_infotext.h"
#include "pipeline/generation_request.h"
#include "pipeline/model_discovery.h"
#include "test_support.h"

namespace fluxgen {
namespace {

namespace fs = std::filesystem;

GenerationRequest parse(const char* patch) { return parse_request(resolve_settings(json::parse(patch))); }

std::string field_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const FieldError& e) {
    return e.field() + " | " + e.reason();
  }
  return "(no error)";
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

TEST(GenerationRequest, ParsesEveryNameIntoItsType) {
  const GenerationRequest r = parse(R"J({"sampler_name": "DPM++ 2M", "scheduler": "Beta",
      "fluxgen_storage": "bnb-nf4 (fp16 LoRA)", "noise_source": "cpu", "fluxgen_step_cache": "fbcache"})J");
  EXPECT_EQ(r.sampler, sampling::Sampler::DpmPp2M);
  EXPECT_EQ(r.scheduler, sampling::Scheduler::Beta);
  EXPECT_EQ(r.storage.label, "bnb-nf4 (fp16 LoRA)");
  EXPECT_EQ(r.storage.lora_mode, LoraMode::Online);
  EXPECT_EQ(r.noise_source, sampling::NoiseSource::Cpu);
  EXPECT_EQ(r.step_cache.mode, flux::StepCacheMode::FirstBlock);
  EXPECT_GT(r.step_cache.threshold, 0.0);
  EXPECT_FALSE(r.hires.has_value());
  EXPECT_TRUE(r.adetailer.empty());
  EXPECT_EQ(r.settings.sampler, "DPM++ 2M");  // the spelling stays for the infotext
}

TEST(GenerationRequest, HiresTakesTheGenerationsSamplerUnlessItNamesItsOwn) {
  const GenerationRequest same = parse(R"J({"enable_hr": true, "sampler_name": "Euler", "scheduler": "Beta"})J");
  ASSERT_TRUE(same.hires.has_value());
  EXPECT_EQ(same.hires->sampler, sampling::Sampler::Euler);
  EXPECT_EQ(same.hires->scheduler, sampling::Scheduler::Beta);
  const GenerationRequest own =
      parse(R"J({"enable_hr": true, "scheduler": "Beta", "hr_sampler_name": "DPM++ 2M", "hr_scheduler": "Simple"})J");
  EXPECT_EQ(own.hires->sampler, sampling::Sampler::DpmPp2M);
  EXPECT_EQ(own.hires->scheduler, sampling::Scheduler::Simple);
}

TEST(GenerationRequest, BadNamesAreFieldErrorsNamingTheField) {
  EXPECT_EQ(field_of([] { parse(R"J({"sampler_name": "Heun 9"})J"); }).substr(0, 15), "sampler_name | ");
  EXPECT_EQ(field_of([] { parse(R"J({"scheduler": "Karras2"})J"); }).substr(0, 12), "scheduler | ");
  EXPECT_EQ(field_of([] { parse(R"J({"enable_hr": true, "hr_sampler_name": "nope"})J"); }).substr(0, 18),
            "hr_sampler_name | ");
  EXPECT_EQ(field_of([] { parse(R"J({"enable_hr": true, "hr_scheduler": "nope"})J"); }).substr(0, 15), "hr_scheduler | ");
  EXPECT_EQ(field_of([] {
              parse(R"J({"alwayson_scripts": {"ADetailer": {"args": [true, false,
                  {"ad_model": "face_yolov8n.pt", "ad_scheduler": "Wobbly"}]}}})J");
            }).substr(0, 15),
            "ad_scheduler | ");
  const std::string rejected = field_of([] {
    parse(R"J({"alwayson_scripts": {"ADetailer": {"args": [true, false, {"ad_model": "face_yolov8n.pt", "ad_confidence": "high"}]}}})J");
  });
  EXPECT_EQ(rejected.rfind("alwayson_scripts.ADetailer.args | ", 0), 0u) << rejected;
}

TEST(GenerationRequest, OnlyRunningADetailerUnitsAreKeptAndTheirDetectorsFound) {
  const std::string models = test::temp_dir();
  fs::create_directories(models + "/adetailer");
  touch(models + "/adetailer/face_yolov8n.pt");
  GenerationRequest r = parse(R"J({"alwayson_scripts": {"ADetailer": {"args": [true, false,
      {"ad_model": "face_yolov8n"}, {"ad_model": "None"}, {"ad_model": "face_yolov8n.pt", "ad_tab_enable": false}]}}})J");
  ASSERT_EQ(r.adetailer.size(), 1u);
  EXPECT_EQ(r.adetailer[0].scheduler, r.scheduler);  // "Use same scheduler"
  resolve_request_files(r, models);
  EXPECT_EQ(r.adetailer[0].detector, models + "/adetailer/face_yolov8n.pt");
  EXPECT_EQ(auxiliary_model_files(r), std::vector<std::string>{models + "/adetailer/face_yolov8n.pt"});

  GenerationRequest missing = parse(R"J({"alwayson_scripts": {"ADetailer": {"args": [{"ad_model": "hand_yolov8s.pt"}]}}})J");
  const std::string err = field_of([&] { resolve_request_files(missing, models); });
  EXPECT_EQ(err.rfind("ad_model | ADetailer model \"hand_yolov8s.pt\" not found", 0), 0u) << err;
  EXPECT_NE(err.find(models + "/adetailer"), std::string::npos) << err;
}

TEST(GenerationRequest, HiresUpscalerResolvesToAFileOrABuiltIn) {
  const std::string models = test::temp_dir();
  fs::create_directories(models + "/ESRGAN");
  touch(models + "/ESRGAN/4x-UltraSharp.pth");
  GenerationRequest model = parse(R"J({"enable_hr": true, "hr_upscaler": "4x-UltraSharp"})J");
  resolve_request_files(model, models);
  EXPECT_EQ(model.hires->upscaler.kind, UpscalerChoice::Kind::Model);
  EXPECT_EQ(model.hires->upscaler.path, models + "/ESRGAN/4x-UltraSharp.pth");
  EXPECT_EQ(auxiliary_model_files(model), std::vector<std::string>{models + "/ESRGAN/4x-UltraSharp.pth"});
  GenerationRequest latent = parse(R"J({"enable_hr": true, "hr_upscaler": "Latent (nearest)"})J");
  resolve_request_files(latent, models);
  EXPECT_EQ(latent.hires->upscaler.kind, UpscalerChoice::Kind::Latent);
  EXPECT_TRUE(auxiliary_model_files(latent).empty());
  GenerationRequest unknown = parse(R"J({"enable_hr": true, "hr_upscaler": "8x-Nothing"})J");
  EXPECT_EQ(field_of([&] { resolve_request_files(unknown, models); }).substr(0, 14), "hr_upscaler | ");
}

TEST(GenerationRequest, ImagesAreDecodedOnceAndBadOnesNamed) {
  Image img(4, 2, 3);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>(i * 7);
  GenerationSettings s = resolve_settings(json::parse("{}"));
  s.init_image = encode_png_base64(img);
  s.mask = "data:image/png;base64,AAAA";
  GenerationRequest r = parse_request(s);
  EXPECT_FALSE(r.init_image.has_value());  // no file is touched by parsing
  EXPECT_EQ(field_of([&] { resolve_request_files(r, ""); }).substr(0, 7), "mask | ");
  r.settings.mask.clear();
  resolve_request_files(r, "");
  ASSERT_TRUE(r.init_image.has_value());
  EXPECT_EQ(r.init_image->pixels, img.pixels);
  EXPECT_FALSE(r.mask.has_value());
  r.settings.init_image = "not base64 at all!";
  EXPECT_EQ(field_of([&] { resolve_request_files(r, ""); }).substr(0, 14), "init_images | ");
}

TEST(ModelNames, OneRuleForStemsFileNamesAndA1111Titles) {
  EXPECT_TRUE(model_file_matches("/m/Lora/my face.safetensors", "my face"));
  EXPECT_TRUE(model_file_matches("/m/Lora/my face.safetensors", "my face.safetensors"));
  EXPECT_TRUE(model_file_matches("/m/Lora/my face.safetensors", "  my face.safetensors [0123abcd45] "));
  EXPECT_TRUE(model_file_matches("/m/Lora/flux1-dev.safetensors", "flux1-dev [0123abcd]"));
  EXPECT_FALSE(model_file_matches("/m/Lora/my face.safetensors", "my"));
  EXPECT_FALSE(model_file_matches("/m/Lora/my face.safetensors", "face.safetensors"));
  EXPECT_FALSE(model_file_matches("/m/Lora/my face.safetensors", ""));
  EXPECT_FALSE(model_file_matches("/m/Lora/x.safetensors", "x [zz]"));  // not a hash: the name stays whole
  EXPECT_EQ(model_name_key("a.safetensors [deadbeef]"), "a.safetensors");
  EXPECT_EQ(model_name_key("a [b]"), "a [b]");
}

TEST(GenerationInfotext, WritesForgesParametersFromTheRequest) {
  GenerationRequest r = parse(R"J({"prompt": "a cat", "negative_prompt": "dog", "steps": 12, "width": 512,
      "height": 768, "scheduler": "Beta", "distilled_cfg_scale": 3, "noise_source": "cpu",
      "override_settings": {"forge_unet_storage_dtype": "bnb-nf4"}})J");
  ImageRunFacts facts;
  facts.seed = 42;
  facts.model_name = "flux1-dev";
  facts.model_hash = "0123456789";
  facts.lora_hashes = "me: abcdef012345";
  const std::string text = generation_infotext(r, facts);
  EXPECT_EQ(text.rfind("a cat\nNegative prompt: dog\nSteps: 12, Sampler: Euler, Schedule type: Beta, CFG scale: 1, "
                       "Distilled CFG Scale: 3, Seed: 42, Size: 512x768, Model hash: 0123456789, Model: flux1-dev, "
                       "Lora hashes: \"me: abcdef012345\", Version: fluxgen ",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find(", Diffusion in Low Bits: bnb-nf4, RNG: CPU"), std::string::npos) << text;
  EXPECT_EQ(text.find("Denoising strength"), std::string::npos);
  facts.img2img = true;
  EXPECT_NE(generation_infotext(r, facts).find("Model: flux1-dev, Denoising strength: 0.75, Lora hashes"),
            std::string::npos);
}

}  // namespace
}  // namespace fluxgen
