// Every way a request can be wrong gets the answer A1111/FastAPI clients expect (422 naming the
// field, 404 for a model that is not installed, 413 for a body over the limit, 401 without the
// credentials), and none of them disturbs the server.
#include <gtest/gtest.h>

#include "server_test_support.h"

namespace fluxgen::test {
namespace {

class ServerValidation : public ServerSuite {
 protected:
  static void SetUpTestSuite() { start_server({"--max-body-mb", "1"}); }
};

struct BadRequest {
  const char* what;
  const char* path;
  std::string body;  // raw JSON text
  int status;
  const char* field;  // the 422 location / the 404 "field"
};

// small_request() with the fields of `extra` (JSON object members) set.
std::string with(const std::string& extra) {
  json::Value r = small_request();
  const json::Value fields = json::parse("{" + extra + "}");
  for (const auto& [key, value] : fields.as_object()) r[key] = value;
  return r.dump();
}

std::string img2img_with(const std::string& extra) {
  return with(extra.empty() ? "\"denoising_strength\": 0.5" : extra + ", \"denoising_strength\": 0.5");
}

TEST_F(ServerValidation, EveryBadFieldIsNamed) {
  const std::vector<BadRequest> cases = {
      {"unknown sampler", "/sdapi/v1/txt2img", with(R"("sampler_name": "Bogus")"), 422, "sampler_name"},
      {"unknown sampler (old field)", "/sdapi/v1/txt2img", with(R"("sampler_index": "Bogus")"), 422, "sampler_index"},
      {"unknown scheduler", "/sdapi/v1/txt2img", with(R"("scheduler": "Bogus")"), 422, "scheduler"},
      {"unknown upscaler", "/sdapi/v1/txt2img", with(R"("enable_hr": true, "hr_upscaler": "Bogus")"), 422, "hr_upscaler"},
      {"upscaler as a path", "/sdapi/v1/txt2img", with(R"("enable_hr": true, "hr_upscaler": "../ESRGAN/esrgan")"), 422,
       "hr_upscaler"},
      {"unknown hires sampler", "/sdapi/v1/txt2img",
       with(R"("enable_hr": true, "hr_upscaler": "Latent", "hr_sampler_name": "Bogus")"), 422, "hr_sampler_name"},
      {"missing checkpoint", "/sdapi/v1/txt2img", with(R"("override_settings": {"sd_model_checkpoint": "nope"})"), 404,
       "override_settings.sd_model_checkpoint"},
      {"checkpoint outside the folders", "/sdapi/v1/txt2img",
       with(R"("override_settings": {"sd_model_checkpoint": "/etc/passwd"})"), 404, "override_settings.sd_model_checkpoint"},
      {"unknown storage", "/sdapi/v1/txt2img", with(R"("override_settings": {"forge_unet_storage_dtype": "int3"})"), 422,
       "override_settings.forge_unet_storage_dtype"},
      {"missing module", "/sdapi/v1/txt2img",
       with(R"("override_settings": {"forge_additional_modules": ["nope.safetensors"]})"), 404,
       "override_settings.forge_additional_modules"},
      {"modules not a list", "/sdapi/v1/txt2img", with(R"("override_settings": {"forge_additional_modules": "ae"})"), 422,
       "override_settings.forge_additional_modules"},
      {"override_settings not an object", "/sdapi/v1/txt2img", with(R"("override_settings": 3)"), 422,
       "override_settings"},
      {"width too small", "/sdapi/v1/txt2img", with(R"("width": 8)"), 422, "width"},
      {"width too large", "/sdapi/v1/txt2img", with(R"("width": 100000)"), 422, "width"},
      {"height zero", "/sdapi/v1/txt2img", with(R"("height": 0)"), 422, "height"},
      {"steps zero", "/sdapi/v1/txt2img", with(R"("steps": 0)"), 422, "steps"},
      {"steps too many", "/sdapi/v1/txt2img", with(R"("steps": 1000)"), 422, "steps"},
      {"steps fractional", "/sdapi/v1/txt2img", with(R"("steps": 2.5)"), 422, "steps"},
      {"batch zero", "/sdapi/v1/txt2img", with(R"("batch_size": 0)"), 422, "batch_size"},
      {"batch too large", "/sdapi/v1/txt2img", with(R"("batch_size": 17)"), 422, "batch_size"},
      {"n_iter zero", "/sdapi/v1/txt2img", with(R"("n_iter": 0)"), 422, "n_iter"},
      {"cfg out of range", "/sdapi/v1/txt2img", with(R"("cfg_scale": -1)"), 422, "cfg_scale"},
      {"steps as text", "/sdapi/v1/txt2img", with(R"("steps": "ten")"), 422, "steps"},
      {"prompt as number", "/sdapi/v1/txt2img", with(R"("prompt": 5)"), 422, "prompt"},
      {"seed as text", "/sdapi/v1/txt2img", with(R"("seed": "lucky")"), 422, "seed"},
      {"enable_hr as text", "/sdapi/v1/txt2img", with(R"("enable_hr": "yes")"), 422, "enable_hr"},
      {"send_images as text", "/sdapi/v1/txt2img", with(R"("send_images": "no")"), 422, "send_images"},
      {"unknown preset", "/sdapi/v1/txt2img", with(R"("preset": "ultra")"), 422, "preset"},
      {"malformed JSON", "/sdapi/v1/txt2img", R"({"prompt": "x", )", 422, "body"},
      {"JSON not an object", "/sdapi/v1/txt2img", R"(["prompt"])", 422, "body"},
      {"empty body", "/sdapi/v1/txt2img", "", 422, "body"},
      {"missing LoRA in prompt", "/sdapi/v1/txt2img", with(R"("prompt": "fox <lora:nope:1>")"), 404, "prompt"},
      {"LoRA path in prompt", "/sdapi/v1/txt2img", with(R"("prompt": "fox <lora:../Lora/e2e_lora:1>")"), 422, "prompt"},
      {"bad LoRA weight in prompt", "/sdapi/v1/txt2img", with(R"("prompt": "fox <lora:e2e_lora:heavy>")"), 422, "prompt"},
      {"missing LoRA in loras", "/sdapi/v1/txt2img", with(R"("loras": ["nope:0.5"])"), 404, "loras"},
      {"missing ADetailer model", "/sdapi/v1/txt2img",
       with(R"("alwayson_scripts": {"ADetailer": {"args": [true, false, {"ad_model": "face_yolov8s.pt"}]}})"), 404,
       "alwayson_scripts.ADetailer.args"},
      {"no init images", "/sdapi/v1/img2img", img2img_with(""), 422, "init_images"},
      {"init images not a list", "/sdapi/v1/img2img", img2img_with(R"("init_images": "abc")"), 422, "init_images"},
      {"malformed base64", "/sdapi/v1/img2img", img2img_with(R"("init_images": ["!!!not base64!!!"])"), 422,
       "init_images"},
      {"base64 that is no image", "/sdapi/v1/img2img", img2img_with(R"("init_images": ["aGVsbG8gd29ybGQ="])"), 422,
       "init_images"},
  };
  for (const BadRequest& c : cases) {
    const HttpAnswer a = server_->post(c.path, c.body);
    EXPECT_EQ(a.status, c.status) << c.what << ": " << a.body;
    if (c.status == 422) {
      EXPECT_EQ(a.validation_field(), c.field) << c.what << ": " << a.body;
      EXPECT_EQ(a.json.at("detail").at(0).at("type").as_string(), "value_error") << c.what;
      EXPECT_FALSE(a.json.at("detail").at(0).at("msg").as_string().empty()) << c.what;
    } else {
      EXPECT_EQ(a.json.string_or("field", ""), c.field) << c.what << ": " << a.body;
      EXPECT_FALSE(a.json.string_or("detail", "").empty()) << c.what;
    }
  }
  EXPECT_TRUE(server_->alive());
  EXPECT_EQ(server_->post("/sdapi/v1/txt2img", small_request()).status, 200) << server_->log();
}

TEST_F(ServerValidation, MaskIsCheckedAfterAValidInitImage) {
  const HttpAnswer source = server_->post("/sdapi/v1/txt2img", small_request());
  ASSERT_EQ(source.status, 200);
  json::Value r = small_request();
  json::Value images = json::Value::array();
  images.push_back(source.json.at("images").at(0));
  r["init_images"] = images;
  r["mask"] = "%%%";
  const HttpAnswer a = server_->post("/sdapi/v1/img2img", r);
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.validation_field(), "mask");
}

TEST_F(ServerValidation, OptionsAreValidated) {
  const std::vector<BadRequest> cases = {
      {"unknown option", "/sdapi/v1/options", R"({"sd_vae_magic": 1})", 422, "sd_vae_magic"},
      {"missing checkpoint", "/sdapi/v1/options", R"({"sd_model_checkpoint": "nope"})", 404, "sd_model_checkpoint"},
      {"checkpoint not a string", "/sdapi/v1/options", R"({"sd_model_checkpoint": 1})", 422, "sd_model_checkpoint"},
      {"unknown storage", "/sdapi/v1/options", R"({"forge_unet_storage_dtype": "int3"})", 422, "forge_unet_storage_dtype"},
      {"missing module", "/sdapi/v1/options", R"({"forge_additional_modules": ["nope"]})", 404,
       "forge_additional_modules"},
      {"preview type", "/sdapi/v1/options", R"({"show_progress_type": "Sharp"})", 422, "show_progress_type"},
      {"preview interval", "/sdapi/v1/options", R"({"show_progress_every_n_steps": "often"})", 422,
       "show_progress_every_n_steps"},
      {"format", "/sdapi/v1/options", R"({"samples_format": "jpg"})", 422, "samples_format"},
      {"device is chosen at start", "/sdapi/v1/options", R"({"fluxgen_device": "cuda"})", 422, "fluxgen_device"},
      {"budget is chosen at start", "/sdapi/v1/options", R"({"fluxgen_vram_budget_gib": 6})", 422,
       "fluxgen_vram_budget_gib"},
      {"malformed", "/sdapi/v1/options", R"({"a": )", 422, "body"},
  };
  const std::string before = server_->get("/sdapi/v1/options").body;
  for (const BadRequest& c : cases) {
    const HttpAnswer a = server_->post(c.path, c.body);
    EXPECT_EQ(a.status, c.status) << c.what << ": " << a.body;
    if (c.status == 422)
      EXPECT_EQ(a.validation_field(), c.field) << c.what << ": " << a.body;
    else
      EXPECT_EQ(a.json.string_or("field", ""), c.field) << c.what << ": " << a.body;
  }
  // A request with one bad key changes nothing, not even its good keys.
  EXPECT_EQ(server_->post("/sdapi/v1/options", std::string(R"({"forge_unet_storage_dtype": "bnb-nf4", "x": 1})")).status,
            422);
  EXPECT_EQ(server_->get("/sdapi/v1/options").body, before);
  // Where the models run is listed, and sending the listed values back is accepted.
  const HttpAnswer listed = server_->get("/sdapi/v1/options");
  EXPECT_EQ(listed.json.string_or("fluxgen_device", ""), "cpu");
  EXPECT_EQ(server_->post("/sdapi/v1/options", std::string(R"({"fluxgen_device": "cpu", "fluxgen_vram_budget_gib": 0})")).status,
            200);
}

TEST_F(ServerValidation, BodyOverTheLimitIs413) {
  std::string big = with("\"padding\": \"" + std::string(1500000, 'x') + "\"");
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", big);
  EXPECT_EQ(a.status, 413) << a.body;
  EXPECT_NE(a.body.find("--max-body-mb"), std::string::npos) << a.body;
  EXPECT_TRUE(server_->alive());
  EXPECT_EQ(server_->get("/sdapi/v1/samplers").status, 200);
}

TEST(ServerAuth, CredentialsAreRequiredAndAccepted) {
  FLUXGEN_REQUIRE_CLI();
  const std::string models = make_models_dir();
  ServerProcess server(models, {"--api-auth", "alice:s3cret,bob:pa:ss"});
  for (const char* path : {"/sdapi/v1/samplers", "/sdapi/v1/options", "/sdapi/v1/progress", "/fluxgen/v1/presets"}) {
    const HttpAnswer none = server.get(path);
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_EQ(none.header("WWW-Authenticate"), "Basic") << path;
    EXPECT_EQ(none.json.at("detail").as_string(), "Not authenticated");
    const HttpAnswer wrong = server.get(path, "alice", "guess");
    EXPECT_EQ(wrong.status, 401) << path;
    EXPECT_EQ(wrong.json.at("detail").as_string(), "Incorrect username or password");
    EXPECT_EQ(server.get(path, "mallory", "s3cret").status, 401) << path;
    EXPECT_EQ(server.get(path, "alice", "s3cret").status, 200) << path;
    EXPECT_EQ(server.get(path, "bob", "pa:ss").status, 200) << path;  // the password is all after the first ':'
  }
  // A generation request is refused before its body is even read, and accepted with credentials.
  EXPECT_EQ(server.post("/sdapi/v1/txt2img", small_request().dump()).status, 401);
  EXPECT_EQ(server.post("/sdapi/v1/txt2img", small_request().dump(), "alice", "s3cret").status, 200);
}

TEST(ServerAuth, CommandLineIsChecked) {
  FLUXGEN_REQUIRE_CLI();
  const std::string models = make_models_dir();
  auto r = run_fluxgen({"serve", "--models-dir", models, "--api-auth", "nopassword"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--api-auth"), std::string::npos) << r.err;
  r = run_fluxgen({"serve", "--models-dir", models + "/missing"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--models-dir"), std::string::npos) << r.err;
  r = run_fluxgen({"serve", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--listen", "--port", "--api-auth", "--models-dir", "--queue-size", "--max-body-mb"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace fluxgen::test
