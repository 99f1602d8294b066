// End to end on the tiny fixture models (tiny FLUX, tiny autoencoder, tiny CLIP and T5 with the
// real tokenizers, tiny ESRGAN, tiny YOLOv8): txt2img, img2img, inpainting, HiRes.fix and
// ADetailer, on the CPU in seconds.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>

#include "io/image/image_io.h"
#include "pipeline/generator.h"
#include "pipeline/infotext.h"
#include "test_support.h"
#include "tiny_models.h"
#include "util/error.h"

namespace fluxgen {
namespace {

namespace fs = std::filesystem;
using test::photo_png;
using test::tiny_models_dir;
using test::TinyRun;

// Largest per-channel difference (images of one size).
int max_pixel_diff(const Image& a, const Image& b) {
  int m = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) m = std::max(m, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return m;
}

bool same_pixels(const Image& a, const Image& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels && a.pixels == b.pixels;
}

TEST(GenerateE2E, Txt2ImgIsDeterministicPerSeedAndBatchesCountSeeds) {
  TinyRun run;
  const auto a = run(R"({"prompt": "a cat", "width": 64, "height": 48, "steps": 3, "seed": 11, "batch_size": 2})");
  ASSERT_EQ(a.images.size(), 2u);
  EXPECT_EQ(a.images[0].image.width, 64);
  EXPECT_EQ(a.images[0].image.height, 48);
  EXPECT_EQ(a.images[0].seed, 11);
  EXPECT_EQ(a.images[1].seed, 12);
  const auto b = run(R"({"prompt": "a cat", "width": 64, "height": 48, "steps": 3, "seed": 11, "batch_size": 2})");
  EXPECT_TRUE(same_pixels(a.images[0].image, b.images[0].image));
  EXPECT_FALSE(same_pixels(a.images[0].image, a.images[1].image));
  // Image 2 of a batch is image 1 of a run seeded with its seed (A1111's seed + i); batched GEMMs
  // may round differently in the last bit, so allow one step of 8-bit rounding.
  const auto c = run(R"({"prompt": "a cat", "width": 64, "height": 48, "steps": 3, "seed": 12})");
  EXPECT_LE(max_pixel_diff(a.images[1].image, c.images[0].image), 1);
  // The infotext parses back.
  const Infotext info = parse_infotext(a.images[1].infotext);
  EXPECT_EQ(info.prompt, "a cat");
  EXPECT_EQ(info.get("Seed"), "12");
  EXPECT_EQ(info.get("Size"), "64x48");
  EXPECT_EQ(info.get("Steps"), "3");
  EXPECT_EQ(info.get("Model"), "tiny-flux");
  EXPECT_EQ(info.get("Model hash")->size(), 10u);
  // Every sampler and scheduler runs end to end.
  for (const std::string sampler : {"Euler", "Euler a", "[Forge] Flux Realistic (2x Slow)", "DPM++ 2M"})
    for (const std::string sched : {"Simple", "Beta", "Normal", "BFL"})
      EXPECT_EQ(run(R"({"prompt": "x", "width": 32, "height": 32, "steps": 2, "seed": 1, "sampler_name": ")" + sampler +
                    R"(", "scheduler": ")" + sched + R"("})")
                    .images.size(),
                1u);
}

TEST(GenerateE2E, Img2ImgAndInpaintKeepUnmaskedPixels) {
  TinyRun run;
  const std::string dir = test::temp_dir();
  const auto base = run(R"({"prompt": "a dog", "width": 64, "height": 64, "steps": 3, "seed": 5})");
  const std::string init = dir + "/init.png";
  write_png(init, base.images[0].image);
  const auto i2i = run(R"({"prompt": "a dog", "width": 64, "height": 64, "steps": 6, "seed": 9, "denoising_strength": 0.5,
                          "init_image": ")" + init + R"("})");
  ASSERT_EQ(i2i.images.size(), 1u);
  EXPECT_FALSE(same_pixels(i2i.images[0].image, base.images[0].image));
  EXPECT_EQ(parse_infotext(i2i.images[0].infotext).get("Denoising strength"), "0.5");
  // A mask over the left half: the right part beyond the blur must be the init image exactly.
  Image mask(64, 64, 1);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 24; ++x) mask.pixel(x, y)[0] = 255;
  write_png(dir + "/mask.png", mask);
  for (const bool only_masked : {false, true}) {
    const auto inp = run(R"({"prompt": "a dog", "width": 64, "height": 64, "steps": 6, "seed": 9, "denoising_strength": 0.9,
        "mask_blur": 2, "init_image": ")" + init + R"(", "mask": ")" + dir + R"(/mask.png", "inpaint_full_res": )" +
                         (only_masked ? "true" : "false") + "}");
    const Image& out = inp.images[0].image;
    int changed_inside = 0;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x) {
        const bool outside = x >= 24 + 8;  // mask + blur reach (and the doubled overlay edge)
        const bool same = std::equal(out.pixel(x, y), out.pixel(x, y) + 3, base.images[0].image.pixel(x, y));
        if (outside) {
          EXPECT_TRUE(same) << x << "," << y << (only_masked ? " only masked" : " whole picture");
        }
        if (x < 20 && !same) ++changed_inside;
      }
    EXPECT_GT(changed_inside, 100) << (only_masked ? "only masked" : "whole picture");
  }
}

TEST(GenerateE2E, HiresFixWithTheTinyEsrgan) {
  TinyRun run;
  const auto r = run(R"({"prompt": "a house", "width": 48, "height": 32, "steps": 3, "seed": 3, "enable_hr": true,
                         "hr_scale": 2, "hr_upscaler": "4x-UltraSharp", "hr_second_pass_steps": 2, "denoising_strength": 0.3})");
  ASSERT_EQ(r.images.size(), 1u);
  EXPECT_EQ(r.images[0].image.width, 96);
  EXPECT_EQ(r.images[0].image.height, 64);
  const Infotext info = parse_infotext(r.images[0].infotext);
  EXPECT_EQ(info.get("Hires upscale"), "2");
  EXPECT_EQ(info.get("Hires steps"), "2");
  EXPECT_EQ(info.get("Hires upscaler"), "4x-UltraSharp");
  EXPECT_EQ(info.get("Denoising strength"), "0.3");
  // The latent upscaler and Lanczos too; an unknown upscaler is a field error.
  for (const std::string up : {"Latent", "Lanczos", "Latent (nearest-exact)"})
    EXPECT_EQ(run(R"({"prompt": "a", "width": 32, "height": 32, "steps": 2, "seed": 3, "enable_hr": true, "hr_scale": 1.5,
                      "hr_upscaler": ")" + up + R"(", "hr_second_pass_steps": 2, "denoising_strength": 0.4})")
                  .images[0]
                  .image.width,
              48);
  try {
    run(R"({"prompt": "a", "width": 32, "height": 32, "steps": 2, "enable_hr": true, "hr_upscaler": "5x-Nothing"})");
    FAIL() << "expected an error";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "hr_upscaler");
  }
}

TEST(GenerateE2E, ADetailerInpaintsDetectionsOnly) {
  TinyRun run;
  // img2img of the real photo, with and without ADetailer repainting what the detector finds.
  const std::string patch = R"({"prompt": "people", "width": 128, "height": 64, "steps": 2, "seed": 2,
      "denoising_strength": 0.2, "init_image": ")" + photo_png() + R"(",
      "alwayson_scripts": {"ADetailer": {"args": [true, false, {"ad_model": "face_yolov8n.pt", "ad_confidence": 0.25,
        "ad_prompt": "a face", "ad_denoising_strength": 0.6, "ad_use_steps": true, "ad_steps": 4, "ad_mask_blur": 2,
        "ad_dilate_erode": 0, "ad_use_inpaint_width_height": true, "ad_inpaint_width": 32, "ad_inpaint_height": 32}]}}})";
  const auto with = run(patch);
  const auto without = run(R"({"prompt": "people", "width": 128, "height": 64, "steps": 2, "seed": 2,
      "denoising_strength": 0.2, "init_image": ")" + photo_png() + R"("})");
  ASSERT_EQ(with.images.size(), 1u);
  EXPECT_FALSE(same_pixels(with.images[0].image, without.images[0].image));
  const Infotext info = parse_infotext(with.images[0].infotext);
  EXPECT_EQ(info.get("ADetailer model"), "face_yolov8n.pt");
  EXPECT_EQ(info.get("ADetailer steps"), "4");
  // Confidence 0.99: nothing is detected, the image is unchanged and the notes say so.
  std::string none = patch;
  none.replace(none.find("0.25"), 4, "0.99");
  const auto unchanged = run(none);
  EXPECT_TRUE(same_pixels(unchanged.images[0].image, without.images[0].image));
  bool noted = false;
  for (const auto& n : unchanged.notes) noted = noted || n.find("nothing detected") != std::string::npos;
  EXPECT_TRUE(noted);
  // A missing detector is a field error before anything runs.
  std::string missing = patch;
  missing.replace(missing.find("face_yolov8n.pt"), 15, "hand_yolov9x.pt");
  EXPECT_THROW(run(missing), FieldError);
}

TEST(GenerateE2E, PresetsRunWithTheTinyModels) {
  TinyRun run;
  // "quality": 12 steps, HiRes x1.3 with 4x-UltraSharp (8 steps), ADetailer with face_yolov8s.pt —
  // the tiny set names its detector face_yolov8n.pt, so the preset's unit is pointed at it.
  const auto r = run(R"({"preset": "quality", "prompt": "portrait", "width": 32, "height": 32, "seed": 1,
      "alwayson_scripts": {"ADetailer": {"args": [true, false, {"ad_model": "face_yolov8n.pt", "ad_use_steps": true,
        "ad_steps": 3}]}}})");
  ASSERT_EQ(r.images.size(), 1u);
  const Infotext info = parse_infotext(r.images[0].infotext);
  EXPECT_EQ(info.get("Steps"), "12");
  EXPECT_EQ(info.get("Hires steps"), "8");
  EXPECT_EQ(info.get("Diffusion in Low Bits"), "bnb-nf4 (fp16 LoRA)");
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS after the tiny end-to-end runs: %.1f MiB\n", ru.ru_maxrss / 1024.0);
}

TEST(GenerateCli, WritesPngsAndInfotextAndFailsCleanly) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/out";
  auto r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--prompt", "a tree, at dawn: misty",
                              "--width", "32", "--height", "32", "--steps", "2", "--seed", "77", "--batch-count", "2",
                              "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out + "/00000-77.png"));
  EXPECT_TRUE(fs::exists(out + "/00001-78.png"));
  auto info = test::run_fluxgen({"png-info", out + "/00001-78.png"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("a tree, at dawn: misty"), std::string::npos);
  EXPECT_NE(info.out.find("Seed: 78"), std::string::npos);
  // A width that is not a multiple of 16 is rounded with a note.
  r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--prompt", "x", "--width", "40", "--height",
                         "32", "--steps", "1", "--seed", "1", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("width 40 rounded to 48"), std::string::npos) << r.err;
  // A corrupt checkpoint: a one-line error naming it, and no new image.
  const std::string bad = test::temp_dir() + "/broken.safetensors";
  { std::ofstream(bad) << "not a safetensors file"; }
  const size_t before = std::distance(fs::directory_iterator(out), fs::directory_iterator{});
  r = test::run_fluxgen({"generate", "--model", bad, "--models-dir", tiny_models_dir(), "--prompt", "x", "--width", "32",
                         "--height", "32", "--steps", "1", "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.safetensors"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // A missing component names the file it needs.
  r = test::run_fluxgen({"generate", "--model", test::fixture("flux_e2e.safetensors"), "--prompt", "x", "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ae.safetensors"), std::string::npos) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator{}), static_cast<long>(before));
}

}  // namespace
}  // namespace fluxgen

namespace fluxgen {
namespace {

TEST(GenerateCli, PreviewAndPresets) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  auto r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--prompt", "x", "--width", "32", "--height",
                              "32", "--steps", "4", "--seed", "3", "--preview", dir + "/preview.png", "--preview-every",
                              "2", "--output", dir + "/out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_image(dir + "/preview.png").width, 16);  // the cheap map: one pixel per latent pixel
  r = test::run_fluxgen({"presets"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("quality"), std::string::npos);
  EXPECT_NE(r.out.find("plastic skin"), std::string::npos);
  r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--prompt", "x", "--preview", dir + "/p.png",
                         "--preview-type", "Approx Fancy", "--output", dir + "/out"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown preview type"), std::string::npos) << r.err;
}

TEST(GenerateCli, SettingsFileWithFlagsWinningAndHiresOverrides) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  const std::string settings = dir + "/settings.json";
  {
    std::ofstream(settings) << R"({"prompt": "from the file", "steps": 2, "width": 32, "height": 32,
      "seed": 5, "sampler_name": "Euler", "distilled_cfg_scale": 2.5})";
  }
  auto r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--settings", settings, "--seed", "9",
                              "--hires-scale", "1.5", "--hires-upscaler", "Lanczos", "--hires-steps", "1",
                              "--denoise", "0.3", "--hr-prompt", "hires words", "--hr-distilled-guidance", "4",
                              "--output", dir + "/out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = test::run_fluxgen({"png-info", dir + "/out/00000-9.png"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("from the file"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Steps: 2"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Seed: 9"), std::string::npos) << info.out;  // the flag won
  EXPECT_NE(info.out.find("Distilled CFG Scale: 2.5"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Hires prompt: hires words"), std::string::npos) << info.out;
  EXPECT_EQ(read_image(dir + "/out/00000-9.png").width, 48);
  // A settings file that is not JSON, or not an object: an error naming the file, no image.
  { std::ofstream(settings) << "{\"steps\": 2,"; }
  r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--settings", settings, "--output",
                         dir + "/bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("settings.json"), std::string::npos) << r.err;
  { std::ofstream(settings) << "[1, 2]"; }
  r = test::run_fluxgen({"generate", "--models-dir", tiny_models_dir(), "--settings", settings, "--output",
                         dir + "/bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must be a JSON object"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/bad/00000-9.png"));
}

}  // namespace
}  // namespace fluxgen

namespace fluxgen {
namespace {

TEST(GenerateE2E, PromptLoraTagsApplyAndAreHashed) {
  const std::string models = test::tiny_models_dir_with_lora();
  ModelManager mm({models, true, false, {}});
  HashCache hashes(test::temp_dir() + "/h.json");
  ProgressTracker progress;
  Generator gen(mm, hashes, progress);
  auto run = [&](const std::string& prompt, const std::string& storage) {
    GenerationSettings s = resolve_settings(json::parse(R"({"width": 32, "height": 32, "steps": 2, "seed": 8})"));
    s.prompt = prompt;
    s.storage = storage;
    return gen.run(s);
  };
  const auto plain = run("a face", "Automatic");
  const auto with = run("a face <lora:me:0.8>", "Automatic");
  EXPECT_FALSE(same_pixels(plain.images[0].image, with.images[0].image));
  const Infotext info = parse_infotext(with.images[0].infotext);
  ASSERT_TRUE(info.get("Lora hashes"));
  EXPECT_EQ(info.get("Lora hashes")->substr(0, 4), "me: ");
  EXPECT_EQ(info.get("Lora hashes")->size(), 4u + 12u);
  EXPECT_EQ(info.prompt, "a face <lora:me:0.8>");
  // Switching back needs no reload and gives the plain image again; merged and online agree at bf16-exact storage.
  EXPECT_TRUE(same_pixels(run("a face", "Automatic").images[0].image, plain.images[0].image));
  const auto online = run("a face <lora:me:0.8>", "Automatic (fp16 LoRA)");
  EXPECT_LE(max_pixel_diff(online.images[0].image, with.images[0].image), 2);
  // A tag naming no file is a field error naming the LoRA.
  try {
    run("a face <lora:nobody:1>", "Automatic");
    FAIL() << "expected an error";
  } catch (const FieldError& e) {
    EXPECT_NE(e.reason().find("nobody"), std::string::npos);
  }
}

}  // namespace
}  // namespace fluxgen
