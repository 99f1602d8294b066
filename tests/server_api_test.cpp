// `fluxgen serve` against A1111/Forge clients' expectations, through a real HTTP client: txt2img
// and img2img round trips (PNG with infotext, info JSON), the model listings, presets, LoRAs, and a
// bad model file failing one job while the server keeps serving.
#include <gtest/gtest.h>

#include "gguf_test_writer.h"
#include "server_test_support.h"

namespace fluxgen::test {
namespace {

class ServerApi : public ServerSuite {
 protected:
  static void SetUpTestSuite() { start_server(); }
};

const json::Value* find_by(const json::Value& list, const char* key, const std::string& value) {
  for (const json::Value& item : list.as_array())
    if (item.find(key) && item.at(key).is_string() && item.at(key).as_string() == value) return &item;
  return nullptr;
}

TEST_F(ServerApi, Txt2ImgRoundTrip) {
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", small_request(1234));
  ASSERT_EQ(a.status, 200) << a.body << server_->log();
  EXPECT_EQ(a.header("Content-Type"), "application/json");
  EXPECT_FALSE(a.header("X-Process-Time").empty());
  const auto images = answer_images(a);
  ASSERT_EQ(images.size(), 1u);
  const AnswerImage& img = images[0];
  EXPECT_EQ(img.png.format, ImageFormat::PNG);
  EXPECT_EQ(img.png.image.width, 64);
  EXPECT_EQ(img.png.image.height, 64);
  // Base64 without a data: prefix, as A1111 returns it.
  EXPECT_EQ(a.json.at("images").at(0).as_string().rfind("iVBOR", 0), 0u);
  // The infotext parses back to the request.
  EXPECT_EQ(img.info.prompt, "a red fox in the snow");
  EXPECT_EQ(img.info.get("Seed"), "1234");
  EXPECT_EQ(img.info.get("Steps"), "2");
  EXPECT_EQ(img.info.get("Size"), "64x64");
  EXPECT_EQ(img.info.get("Sampler"), "Euler");
  EXPECT_EQ(img.info.get("Model"), "flux_e2e");
  ASSERT_TRUE(img.info.get("Model hash").has_value());
  EXPECT_EQ(img.info.get("Model hash")->size(), 10u);
  // "parameters" echoes the request; "info" is a JSON string.
  EXPECT_EQ(a.json.at("parameters").at("prompt").as_string(), "a red fox in the snow");
  EXPECT_EQ(a.json.at("parameters").at("seed").as_int(), 1234);
  ASSERT_TRUE(a.json.at("info").is_string());
  const json::Value info = json::parse(a.json.at("info").as_string());
  EXPECT_EQ(info.at("seed").as_int(), 1234);
  EXPECT_EQ(info.at("all_seeds").at(0).as_int(), 1234);
  EXPECT_EQ(info.at("prompt").as_string(), "a red fox in the snow");
  EXPECT_EQ(info.at("all_prompts").size(), 1u);
  EXPECT_EQ(info.at("width").as_int(), 64);
  EXPECT_EQ(info.at("height").as_int(), 64);
  EXPECT_EQ(info.at("steps").as_int(), 2);
  EXPECT_EQ(info.at("sampler_name").as_string(), "Euler");
  EXPECT_EQ(info.at("batch_size").as_int(), 1);
  EXPECT_EQ(info.at("sd_model_name").as_string(), "flux_e2e");
  EXPECT_EQ(info.at("sd_model_hash").as_string(), *img.info.get("Model hash"));
  EXPECT_EQ(info.at("infotexts").at(0).as_string(), img.raw_infotext);
  EXPECT_NE(info.at("version").as_string().find("fluxgen"), std::string::npos);
  EXPECT_FALSE(info.at("interrupted").as_bool());

  // The same request again gives the same pixels (the models stayed loaded; seeds are exact).
  const HttpAnswer again = server_->post("/sdapi/v1/txt2img", small_request(1234));
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(answer_images(again)[0].png.image.pixels, img.png.image.pixels);
}

TEST_F(ServerApi, BatchAndRandomSeedsAreReported) {
  json::Value r = small_request(77);
  r["batch_size"] = 2;
  r["n_iter"] = 2;
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(a.status, 200) << a.body;
  const auto images = answer_images(a);
  ASSERT_EQ(images.size(), 4u);
  const json::Value info = json::parse(a.json.at("info").as_string());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(info.at("all_seeds").at(i).as_int(), 77 + i);
    EXPECT_EQ(images[i].info.get("Seed"), std::to_string(77 + i));
  }
  EXPECT_EQ(info.at("infotexts").size(), 4u);

  const HttpAnswer random = server_->post("/sdapi/v1/txt2img", small_request(-1));
  ASSERT_EQ(random.status, 200);
  const int64_t seed = json::parse(random.json.at("info").as_string()).at("seed").as_int();
  EXPECT_GE(seed, 0);
  EXPECT_EQ(answer_images(random)[0].info.get("Seed"), std::to_string(seed));
}

TEST_F(ServerApi, SendImagesFalseReturnsNoImages) {
  json::Value r = small_request();
  r["send_images"] = false;
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json.at("images").size(), 0u);
  EXPECT_EQ(json::parse(a.json.at("info").as_string()).at("infotexts").size(), 1u);
}

// "async" needs a Redis job queue to hold the job (serve --queue); the in-process queue says so.
TEST_F(ServerApi, AsyncNeedsAJobQueue) {
  json::Value r = small_request();
  r["async"] = true;
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", r);
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.validation_field(), "async");
  r["async"] = "yes";
  EXPECT_EQ(server_->post("/sdapi/v1/txt2img", r).validation_field(), "async");
  r["async"] = false;  // the default, accepted and not echoed as a job parameter
  const HttpAnswer sync = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(sync.status, 200) << sync.body;
  EXPECT_FALSE(sync.json.at("parameters").contains("async"));
  EXPECT_EQ(server_->get("/fluxgen/v1/jobs/0123abcd").status, 404);
}

TEST_F(ServerApi, Img2ImgTakesBase64WithAndWithoutDataPrefix) {
  const HttpAnswer source = server_->post("/sdapi/v1/txt2img", small_request(5));
  ASSERT_EQ(source.status, 200);
  const std::string b64 = source.json.at("images").at(0).as_string();

  std::vector<std::vector<uint8_t>> results;
  for (const std::string& init : {b64, "data:image/png;base64," + b64}) {
    json::Value r = small_request(9, 6);  // 3 img2img steps: 1 would not depend on the init image with the tiny model
    json::Value images = json::Value::array();
    images.push_back(init);
    r["init_images"] = images;
    r["denoising_strength"] = 0.5;
    const HttpAnswer a = server_->post("/sdapi/v1/img2img", r);
    ASSERT_EQ(a.status, 200) << a.body;
    const auto out = answer_images(a);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].info.get("Denoising strength"), "0.5");
    EXPECT_EQ(out[0].png.image.width, 64);
    // As A1111: the init images are not echoed back unless include_init_images.
    EXPECT_TRUE(a.json.at("parameters").at("init_images").is_null());
    results.push_back(out[0].png.image.pixels);
  }
  EXPECT_EQ(results[0], results[1]);  // the prefix changes nothing

  // The init image matters: img2img from another picture (plain white) differs.
  Image white(64, 64, 3);
  std::fill(white.pixels.begin(), white.pixels.end(), uint8_t{255});
  json::Value r = small_request(9, 6);  // 3 img2img steps: 1 would not depend on the init image with the tiny model
  json::Value images = json::Value::array();
  images.push_back(encode_png_base64(white));
  r["init_images"] = images;
  r["denoising_strength"] = 0.5;
  r["include_init_images"] = true;
  const HttpAnswer a = server_->post("/sdapi/v1/img2img", r);
  ASSERT_EQ(a.status, 200);
  EXPECT_NE(answer_images(a)[0].png.image.pixels, results[0]);
  EXPECT_TRUE(a.json.at("parameters").at("init_images").is_array());
}

TEST_F(ServerApi, ListsModelsSamplersSchedulersUpscalersLoras) {
  const HttpAnswer models = server_->get("/sdapi/v1/sd-models");
  ASSERT_EQ(models.status, 200);
  const json::Value* e2e = find_by(models.json, "model_name", "flux_e2e");
  ASSERT_NE(e2e, nullptr) << models.body;
  EXPECT_EQ(e2e->at("filename").as_string(), *models_dir_ + "/Stable-diffusion/flux_e2e.safetensors");
  EXPECT_EQ(e2e->at("title").as_string().rfind("flux_e2e.safetensors", 0), 0u);
  EXPECT_NE(find_by(models.json, "model_name", "broken"), nullptr);

  const HttpAnswer samplers = server_->get("/sdapi/v1/samplers");
  ASSERT_EQ(samplers.status, 200);
  const json::Value* euler = find_by(samplers.json, "name", "Euler");
  ASSERT_NE(euler, nullptr);
  EXPECT_EQ(euler->at("aliases").at(0).as_string(), "k_euler");
  EXPECT_NE(find_by(samplers.json, "name", "[Forge] Flux Realistic"), nullptr);

  const HttpAnswer schedulers = server_->get("/sdapi/v1/schedulers");
  ASSERT_EQ(schedulers.status, 200);
  const json::Value* simple = find_by(schedulers.json, "name", "simple");
  ASSERT_NE(simple, nullptr);
  EXPECT_EQ(simple->at("label").as_string(), "Simple");

  const HttpAnswer upscalers = server_->get("/sdapi/v1/upscalers");
  ASSERT_EQ(upscalers.status, 200);
  for (const char* name : {"None", "Lanczos", "Nearest", "esrgan"})
    EXPECT_NE(find_by(upscalers.json, "name", name), nullptr) << name;
  // As A1111: the latent resize modes are listed apart.
  EXPECT_EQ(find_by(upscalers.json, "name", "Latent"), nullptr);
  const HttpAnswer latent = server_->get("/sdapi/v1/latent-upscale-modes");
  ASSERT_EQ(latent.status, 200);
  for (const char* name : {"Latent", "Latent (bicubic antialiased)", "Latent (nearest-exact)"})
    EXPECT_NE(find_by(latent.json, "name", name), nullptr) << name;
  EXPECT_EQ(find_by(upscalers.json, "name", "esrgan")->at("model_path").as_string(),
            *models_dir_ + "/ESRGAN/esrgan.safetensors");

  const HttpAnswer loras = server_->get("/sdapi/v1/loras");
  ASSERT_EQ(loras.status, 200);
  const json::Value* lora = find_by(loras.json, "name", "e2e_lora");
  ASSERT_NE(lora, nullptr) << loras.body;
  EXPECT_EQ(lora->at("alias").as_string(), "e2e_detail");  // ss_output_name
  EXPECT_EQ(lora->at("metadata").at("ss_output_name").as_string(), "e2e_detail");

  const HttpAnswer modules = server_->get("/sdapi/v1/sd-modules");
  ASSERT_EQ(modules.status, 200);
  for (const char* name : {"ae.safetensors", "clip_l.safetensors", "t5xxl.safetensors"})
    EXPECT_NE(find_by(modules.json, "model_name", name), nullptr) << name;
}

TEST_F(ServerApi, ModelHashAppearsOnceHashed) {
  ASSERT_EQ(server_->post("/sdapi/v1/txt2img", small_request()).status, 200);
  const HttpAnswer models = server_->get("/sdapi/v1/sd-models");
  const json::Value* e2e = find_by(models.json, "model_name", "flux_e2e");
  ASSERT_NE(e2e, nullptr);
  ASSERT_TRUE(e2e->at("sha256").is_string());
  EXPECT_EQ(e2e->at("sha256").as_string().size(), 64u);
  EXPECT_EQ(e2e->at("title").as_string(), "flux_e2e.safetensors [" + e2e->at("hash").as_string() + "]");
}

TEST_F(ServerApi, RefreshFindsNewFiles) {
  const server_fs::path d(*models_dir_);
  server_fs::create_symlink(fixture("flux_e2e.safetensors"), d / "Stable-diffusion/flux_late.safetensors");
  write_e2e_lora((d / "Lora/late_lora.safetensors").string(), 0.1f);
  EXPECT_EQ(find_by(server_->get("/sdapi/v1/sd-models").json, "model_name", "flux_late"), nullptr);
  EXPECT_EQ(find_by(server_->get("/sdapi/v1/loras").json, "name", "late_lora"), nullptr);
  EXPECT_EQ(server_->post("/sdapi/v1/refresh-checkpoints", std::string()).status, 200);
  EXPECT_EQ(server_->post("/sdapi/v1/refresh-loras", std::string()).status, 200);
  EXPECT_NE(find_by(server_->get("/sdapi/v1/sd-models").json, "model_name", "flux_late"), nullptr);
  EXPECT_NE(find_by(server_->get("/sdapi/v1/loras").json, "name", "late_lora"), nullptr);
}

TEST_F(ServerApi, ListsGgufCheckpointsLikeTheOthers) {
  // A name without "flux" so that it never becomes the default checkpoint of the other tests.
  const server_fs::path file = server_fs::path(*models_dir_) / "Stable-diffusion/tiny-Q8_0.gguf";
  const auto src = open_tensor_store(fixture("flux_e2e.safetensors"));
  ASSERT_GT(write_store_as_gguf(*src, file.string(), gguf::GgmlType::Q8_0, {{{"config", src->metadata("config")}}, {}}), 0);
  EXPECT_EQ(server_->post("/sdapi/v1/refresh-checkpoints", std::string()).status, 200);
  const HttpAnswer models = server_->get("/sdapi/v1/sd-models");
  const json::Value* gguf = find_by(models.json, "model_name", "tiny-Q8_0");
  ASSERT_NE(gguf, nullptr) << models.body;
  EXPECT_EQ(gguf->at("filename").as_string(), file.string());
  EXPECT_EQ(gguf->at("title").as_string().rfind("tiny-Q8_0.gguf", 0), 0u);
}

TEST_F(ServerApi, LoraFromPromptTagChangesTheImage) {
  const HttpAnswer plain = server_->post("/sdapi/v1/txt2img", small_request(11));
  json::Value r = small_request(11);
  r["prompt"] = "a red fox in the snow <lora:e2e_lora:1>";
  const HttpAnswer with_lora = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(with_lora.status, 200) << with_lora.body;
  const auto img = answer_images(with_lora);
  ASSERT_TRUE(img[0].info.get("Lora hashes").has_value()) << img[0].raw_infotext;
  EXPECT_EQ(img[0].info.get("Lora hashes")->rfind("e2e_lora: ", 0), 0u);
  EXPECT_NE(img[0].png.image.pixels, answer_images(plain)[0].png.image.pixels);
  // And it is unloaded again when the next request has no LoRA.
  const HttpAnswer after = server_->post("/sdapi/v1/txt2img", small_request(11));
  EXPECT_EQ(answer_images(after)[0].png.image.pixels, answer_images(plain)[0].png.image.pixels);
}

TEST_F(ServerApi, PresetsAreListedAndApplied) {
  const HttpAnswer list = server_->get("/fluxgen/v1/presets");
  ASSERT_EQ(list.status, 200);
  const std::string body = list.body;
  for (const char* name : {"fast", "quality", "max", "portrait", "lighting", "skin", "composition", "negative"})
    EXPECT_NE(body.find(std::string("\"") + name + "\""), std::string::npos) << name;
  // The same data as `fluxgen presets --json`.
  const auto cli = run_fluxgen({"presets", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(json::parse(cli.out).dump(), list.json.dump());

  // "fast": its sampler and storage, with the request's explicit fields winning.
  json::Value r = small_request(3);
  r["preset"] = "fast";
  r["enable_hr"] = false;  // the preset's HiRes.fix needs 4x-UltraSharp, not installed here
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(a.status, 200) << a.body;
  const Infotext info = answer_images(a)[0].info;
  EXPECT_EQ(info.get("Sampler"), "[Forge] Flux Realistic");
  EXPECT_EQ(info.get("Steps"), "2");
  EXPECT_EQ(info.get("Diffusion in Low Bits"), "bnb-nf4 (fp16 LoRA)");

  // Without the files a preset names, the answer says which file is needed.
  json::Value q = small_request();
  q["preset"] = "quality";
  const HttpAnswer missing = server_->post("/sdapi/v1/txt2img", q);
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.validation_field(), "hr_upscaler");
  EXPECT_NE(missing.body.find("4x-UltraSharp"), std::string::npos) << missing.body;
  q["enable_hr"] = false;
  const HttpAnswer no_detector = server_->post("/sdapi/v1/txt2img", q);
  EXPECT_EQ(no_detector.status, 404);
  EXPECT_NE(no_detector.body.find("face_yolov8s.pt"), std::string::npos) << no_detector.body;
}

TEST_F(ServerApi, BadModelFileFailsTheJobNotTheServer) {
  json::Value r = small_request();
  r["override_settings"] = json::Value::object();
  r["override_settings"]["sd_model_checkpoint"] = "broken";
  const HttpAnswer bad = server_->post("/sdapi/v1/txt2img", r);
  // The job fails when it opens the damaged file: 422 naming the option and the file.
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.validation_field(), "sd_model_checkpoint") << bad.body;
  EXPECT_NE(bad.body.find("broken.safetensors"), std::string::npos) << bad.body;
  EXPECT_TRUE(server_->alive());
  // The queue keeps working and the good model loads again.
  const HttpAnswer good = server_->post("/sdapi/v1/txt2img", small_request());
  EXPECT_EQ(good.status, 200) << good.body;
  const HttpAnswer progress = server_->get("/sdapi/v1/progress");
  EXPECT_EQ(progress.status, 200);
  EXPECT_EQ(progress.json.at("state").at("job_count").as_int(), 0);
}

TEST_F(ServerApi, UnknownPathIsJson404) {
  const HttpAnswer a = server_->get("/sdapi/v1/no-such-thing");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.json.at("detail").as_string(), "Not Found");
}

}  // namespace
}  // namespace fluxgen::test
