// The rest of the A1111/Forge API real clients call, through a real HTTP client: extension detection
// the way the `webuiapi` package does it (GET /sdapi/v1/scripts, then its ADetailer payload),
// script-info, ADetailer's own routes, png-info, the Extras upscale (single and batch, checked
// pixel for pixel against the pipeline), the A1111 listings fluxgen has nothing for, memory,
// unload/reload-checkpoint, cmd-flags, /internal/ping, and basic auth on every one of them.
#include <gtest/gtest.h>

#include "pipeline/adetailer/adetailer_args.h"
#include "pipeline/extras_upscale.h"
#include "server_test_support.h"

namespace fluxgen::test {
namespace {

class ServerA1111Routes : public ServerSuite {
 protected:
  static void SetUpTestSuite() {
    start_server({}, false, [](const std::string& dir) {
      server_fs::create_directories(server_fs::path(dir) / "adetailer");
      server_fs::create_symlink(fixture("yolo/yolov8n_tiny.pt"), server_fs::path(dir) / "adetailer/face_tiny.pt");
      server_fs::create_directories(server_fs::path(dir) / "RealESRGAN");
      server_fs::create_symlink(fixture("esrgan.safetensors"), server_fs::path(dir) / "RealESRGAN/realesr_tiny.safetensors");
    });
  }
};

// A small RGB picture with structure in both directions (so resizes are not trivially exact).
Image test_picture(int w, int h) {
  Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c)
        img.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>((x * 37 + y * 11 + c * 80 + x * y) % 256);
  return img;
}

json::Value extras_request(const Image& img, const std::string& upscaler, double scale) {
  json::Value r = json::Value::object();
  r["image"] = encode_png_base64(img);
  r["upscaler_1"] = upscaler;
  r["upscaling_resize"] = scale;
  return r;
}

Image answer_image(const std::string& b64) { return decode_image_base64(b64, "answer").image; }

ExtrasUpscale local_upscale(const std::string& name, double scale) {
  ExtrasUpscale u;
  u.upscaler_1 = resolve_image_upscaler(name, "", "upscaler_1", /*allow_paths=*/true);
  u.scale = scale;
  return u;
}

// webuiapi.WebUIApi.check_extensions: scripts = GET {baseurl}/scripts;
// has_adetailer = "adetailer" in scripts["txt2img"]; then txt2img without units sends
// alwayson_scripts {"ADetailer": {"args": [False]}}.
bool webuiapi_has_adetailer(const HttpAnswer& scripts) {
  if (scripts.status != 200 || !scripts.json.is_object() || !scripts.json.contains("txt2img")) return false;
  for (const json::Value& name : scripts.json.at("txt2img").as_array())
    if (name.is_string() && name.as_string() == "adetailer") return true;
  return false;
}

TEST_F(ServerA1111Routes, WebuiapiExtensionDetectionSeesAdetailer) {
  const HttpAnswer scripts = server_->get("/sdapi/v1/scripts");
  ASSERT_EQ(scripts.status, 200) << scripts.body;
  EXPECT_TRUE(webuiapi_has_adetailer(scripts));
  // Nothing fluxgen cannot run: webuiapi would then send ControlNet / AnimateDiff payloads.
  for (const char* list : {"txt2img", "img2img"}) {
    ASSERT_EQ(scripts.json.at(list).size(), 1u) << scripts.body;
    EXPECT_EQ(scripts.json.at(list).at(0).as_string(), "adetailer");
  }
  // The payload webuiapi then sends with every txt2img (ADetailer switched off) is accepted.
  json::Value r = small_request(3);
  r["alwayson_scripts"] = json::parse(R"({"ADetailer": {"args": [false]}})");
  const HttpAnswer a = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_FALSE(answer_images(a)[0].info.get("ADetailer model").has_value());
}

TEST_F(ServerA1111Routes, ScriptInfoDescribesAdetailersArguments) {
  const HttpAnswer a = server_->get("/sdapi/v1/script-info");
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json::Value& info = a.json.at(i);
    EXPECT_EQ(info.at("name").as_string(), "adetailer");
    EXPECT_TRUE(info.at("is_alwayson").as_bool());
    EXPECT_EQ(info.at("is_img2img").as_bool(), i == 1);
    const json::Value& args = info.at("args");
    ASSERT_EQ(args.size(), 4u);
    EXPECT_EQ(args.at(0).at("label").as_string(), "ADetailer");
    EXPECT_FALSE(args.at(0).at("value").as_bool());
    EXPECT_EQ(args.at(1).at("label").as_string(), "Skip img2img");
    EXPECT_EQ(args.at(2).at("label").as_string(), "1st");
    EXPECT_EQ(args.at(3).at("label").as_string(), "2nd");
    for (const char* key : {"minimum", "maximum", "step", "choices"}) EXPECT_TRUE(args.at(0).contains(key)) << key;
  }
}

TEST_F(ServerA1111Routes, AdetailerModelAndVersion) {
  const HttpAnswer models = server_->get("/adetailer/v1/ad_model");
  ASSERT_EQ(models.status, 200) << models.body;
  ASSERT_EQ(models.json.at("ad_model").size(), 1u) << models.body;
  EXPECT_EQ(models.json.at("ad_model").at(0).as_string(), "face_tiny.pt");
  const HttpAnswer version = server_->get("/adetailer/v1/version");
  ASSERT_EQ(version.status, 200);
  // The version ADetailer's infotext entry names.
  adetailer::ADetailerArgs unit;
  unit.ad_model = "face_tiny.pt";
  const InfotextParams entries = adetailer::adetailer_infotext({unit});
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().first, "ADetailer version");
  EXPECT_EQ(version.json.at("version").as_string(), entries.back().second);
}

TEST_F(ServerA1111Routes, PngInfoReadsTheInfotext) {
  const HttpAnswer gen = server_->post("/sdapi/v1/txt2img", small_request(21));
  ASSERT_EQ(gen.status, 200) << gen.body;
  const AnswerImage img = answer_images(gen)[0];
  json::Value r = json::Value::object();
  r["image"] = gen.json.at("images").at(0);
  const HttpAnswer a = server_->post("/sdapi/v1/png-info", r);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json.at("info").as_string(), img.raw_infotext);
  EXPECT_TRUE(a.json.at("items").is_object());
  EXPECT_EQ(a.json.at("items").size(), 0u);  // the PNG holds only "parameters"
  const json::Value& p = a.json.at("parameters");
  EXPECT_EQ(p.at("Prompt").as_string(), "a red fox in the snow");
  EXPECT_EQ(p.at("Negative prompt").as_string(), "");
  EXPECT_EQ(p.at("Seed").as_string(), "21");
  EXPECT_EQ(p.at("Size-1").as_string(), "64");
  EXPECT_EQ(p.at("Size-2").as_string(), "64");
  EXPECT_EQ(p.at("Model").as_string(), "flux_e2e");

  // With a data: prefix, and other text chunks become items.
  r["image"] = "data:image/png;base64," + encode_png_base64(test_picture(8, 8), {{"parameters", img.raw_infotext}, {"Software", "x"}});
  const HttpAnswer b = server_->post("/sdapi/v1/png-info", r);
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.json.at("info").as_string(), img.raw_infotext);
  EXPECT_EQ(b.json.at("items").at("Software").as_string(), "x");

  // No parameters: empty answers, as A1111.
  r["image"] = encode_png_base64(test_picture(8, 8));
  const HttpAnswer none = server_->post("/sdapi/v1/png-info", r);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json.at("info").as_string(), "");
  EXPECT_EQ(none.json.at("parameters").size(), 0u);

  // Errors name the field.
  for (const std::string& body : {std::string("{}"), std::string(R"({"image": 5})"), std::string(R"({"image": "bm90IGFuIGltYWdl"})")}) {
    const HttpAnswer e = server_->post("/sdapi/v1/png-info", body);
    EXPECT_EQ(e.status, 422) << body << e.body;
    EXPECT_EQ(e.validation_field(), "image") << body;
  }
  EXPECT_EQ(server_->post("/sdapi/v1/png-info", std::string()).validation_field(), "body");
}

TEST_F(ServerA1111Routes, InterrogateIsAClear501) {
  const HttpAnswer a = server_->post("/sdapi/v1/interrogate", std::string(R"({"image": "", "model": "clip"})"));
  EXPECT_EQ(a.status, 501) << a.body;
  EXPECT_NE(a.json.at("detail").as_string().find("captioning model"), std::string::npos) << a.body;
}

TEST_F(ServerA1111Routes, ListingsInA1111Shapes) {
  const HttpAnswer emb = server_->get("/sdapi/v1/embeddings");
  ASSERT_EQ(emb.status, 200);
  EXPECT_EQ(emb.json.dump(), R"({"loaded":{},"skipped":{}})");
  for (const char* path : {"/sdapi/v1/hypernetworks", "/sdapi/v1/face-restorers", "/sdapi/v1/prompt-styles"}) {
    const HttpAnswer a = server_->get(path);
    ASSERT_EQ(a.status, 200) << path;
    EXPECT_EQ(a.json.dump(), "[]") << path;
  }
  const HttpAnswer real = server_->get("/sdapi/v1/realesrgan-models");
  ASSERT_EQ(real.status, 200);
  ASSERT_EQ(real.json.size(), 1u) << real.body;  // the RealESRGAN folder's file, not ESRGAN's
  EXPECT_EQ(real.json.at(0).at("name").as_string(), "realesr_tiny");
  EXPECT_NE(real.json.at(0).at("path").as_string().find("RealESRGAN/realesr_tiny.safetensors"), std::string::npos);
  EXPECT_EQ(real.json.at(0).at("scale").as_int(), 4);

  const HttpAnswer flags = server_->get("/sdapi/v1/cmd-flags");
  ASSERT_EQ(flags.status, 200);
  EXPECT_TRUE(flags.json.at("api").as_bool());
  EXPECT_FALSE(flags.json.at("listen").as_bool());
  EXPECT_EQ(flags.json.at("port").as_int(), 0);  // as started: --port 0
  EXPECT_TRUE(flags.json.at("api_auth").is_null());
  EXPECT_EQ(flags.json.at("models_dir").as_string(), *models_dir_);

  const HttpAnswer ping = server_->get("/internal/ping");
  ASSERT_EQ(ping.status, 200);
  EXPECT_EQ(ping.json.dump(), "{}");
}

TEST_F(ServerA1111Routes, ExtraSingleImageMatchesThePipeline) {
  const Image input = test_picture(40, 24);
  // Scale by: Lanczos x2, A1111's size (a multiple of 8) and the pipeline's pixels.
  const HttpAnswer a = server_->post("/sdapi/v1/extra-single-image", extras_request(input, "Lanczos", 2.0));
  ASSERT_EQ(a.status, 200) << a.body;
  const Image got = answer_image(a.json.at("image").as_string());
  EXPECT_EQ(got.width, 80);
  EXPECT_EQ(got.height, 48);
  EXPECT_EQ(got.pixels, extras_upscale(local_upscale("Lanczos", 2.0), nullptr, nullptr, input).pixels);
  EXPECT_EQ(a.json.at("html_info").as_string(), "<p>Postprocess upscale by: 2, Postprocess upscaler: Lanczos</p>");

  // The ESRGAN file from the upscaler folder, as `fluxgen upscale` runs it.
  const HttpAnswer e = server_->post("/sdapi/v1/extra-single-image", extras_request(input, "esrgan", 2.0));
  ASSERT_EQ(e.status, 200) << e.body;
  const auto model = Upscaler::load(fixture("esrgan.safetensors"));
  ExtrasUpscale m = local_upscale(fixture("esrgan.safetensors"), 2.0);
  EXPECT_EQ(answer_image(e.json.at("image").as_string()).pixels, extras_upscale(m, model.get(), nullptr, input).pixels);

  // Scale to 100x60 with crop: exactly that size.
  json::Value to = extras_request(input, "Nearest", 1.0);
  to["resize_mode"] = 1;
  to["upscaling_resize_w"] = 100;
  to["upscaling_resize_h"] = 60;
  const HttpAnswer t = server_->post("/sdapi/v1/extra-single-image", to);
  ASSERT_EQ(t.status, 200) << t.body;
  const Image cropped = answer_image(t.json.at("image").as_string());
  EXPECT_EQ(cropped.width, 100);
  EXPECT_EQ(cropped.height, 60);

  // Upscaler 2 blended over upscaler 1 at its visibility.
  json::Value both = extras_request(input, "Lanczos", 2.0);
  both["upscaler_2"] = "Nearest";
  both["extras_upscaler_2_visibility"] = 0.25;
  const HttpAnswer b = server_->post("/sdapi/v1/extra-single-image", both);
  ASSERT_EQ(b.status, 200) << b.body;
  const Image lanczos = extras_upscale(local_upscale("Lanczos", 2.0), nullptr, nullptr, input);
  const Image nearest = extras_upscale(local_upscale("Nearest", 2.0), nullptr, nullptr, input);
  EXPECT_EQ(answer_image(b.json.at("image").as_string()).pixels, blend_images(lanczos, nearest, 0.25).pixels);
  EXPECT_NE(lanczos.pixels, nearest.pixels);

  // The input's infotext stays with the image, and the upscale is recorded as A1111 does.
  json::Value with_info = extras_request(input, "Lanczos", 2.0);
  with_info["image"] = encode_png_base64(input, {{"parameters", "a cat\nSteps: 4, Seed: 1, Size: 40x24"}});
  const HttpAnswer w = server_->post("/sdapi/v1/extra-single-image", with_info);
  ASSERT_EQ(w.status, 200) << w.body;
  const DecodedImage out = decode_image_base64(w.json.at("image").as_string(), "answer");
  EXPECT_EQ(infotext_from_metadata(out.metadata), "a cat\nSteps: 4, Seed: 1, Size: 40x24");
  bool recorded = false;
  for (const auto& [k, v] : out.metadata.text) recorded = recorded || (k == "postprocessing" && v.find("Lanczos") != std::string::npos);
  EXPECT_TRUE(recorded);

  // "None" returns the image as it is.
  const HttpAnswer n = server_->post("/sdapi/v1/extra-single-image", extras_request(input, "None", 2.0));
  ASSERT_EQ(n.status, 200) << n.body;
  EXPECT_EQ(answer_image(n.json.at("image").as_string()).pixels, input.pixels);
}

TEST_F(ServerA1111Routes, ExtrasErrorsNameTheField) {
  const Image input = test_picture(16, 16);
  struct Case {
    std::string patch;  // merged into a valid request
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"gfpgan_visibility": 0.5})", "gfpgan_visibility"},
      {R"({"codeformer_visibility": 1})", "codeformer_visibility"},
      {R"({"codeformer_weight": 2})", "codeformer_weight"},
      {R"({"upscaler_1": "4x-Nonexistent"})", "upscaler_1"},
      {R"({"upscaler_1": "Latent"})", "upscaler_1"},
      {R"({"upscaler_1": "/etc/passwd"})", "upscaler_1"},
      {R"({"upscaler_2": "nope", "extras_upscaler_2_visibility": 0.5})", "upscaler_2"},
      {R"({"extras_upscaler_2_visibility": 1.5})", "extras_upscaler_2_visibility"},
      {R"({"upscaling_resize": 0})", "upscaling_resize"},
      {R"({"upscaling_resize": "2"})", "upscaling_resize"},
      {R"({"upscaling_resize": 8, "image": null})", "image"},
      {R"({"resize_mode": 2})", "resize_mode"},
      {R"({"resize_mode": 1, "upscaling_resize_w": 0})", "upscaling_resize_w"},
      {R"({"upscaling_crop": "yes"})", "upscaling_crop"},
      {R"({"image": "not base64 of an image"})", "image"},
  };
  for (const Case& c : cases) {
    json::Value r = extras_request(input, "Lanczos", 2.0);
    const json::Value patch = json::parse(c.patch);
    for (const auto& [k, v] : patch.as_object()) r[k] = v;
    const HttpAnswer a = server_->post("/sdapi/v1/extra-single-image", r);
    EXPECT_EQ(a.status, 422) << c.patch << a.body;
    EXPECT_EQ(a.validation_field(), c.field) << c.patch << a.body;
  }
  // Too large a result is refused before any work.
  json::Value big = extras_request(test_picture(2000, 8), "Lanczos", 8.0);
  const HttpAnswer a = server_->post("/sdapi/v1/extra-single-image", big);
  EXPECT_EQ(a.status, 422) << a.body;
  EXPECT_EQ(a.validation_field(), "upscaling_resize");
  // The client default (face restorers at 0) is accepted.
  json::Value zero = extras_request(input, "Lanczos", 2.0);
  zero["gfpgan_visibility"] = 0;
  zero["codeformer_visibility"] = 0;
  zero["codeformer_weight"] = 0;
  EXPECT_EQ(server_->post("/sdapi/v1/extra-single-image", zero).status, 200);
}

TEST_F(ServerA1111Routes, ExtraBatchImages) {
  const Image first = test_picture(16, 8), second = test_picture(24, 16);
  json::Value r = json::parse(R"({"upscaler_1": "Lanczos", "upscaling_resize": 2, "imageList": []})");
  for (const Image* img : {&first, &second}) {
    json::Value item = json::Value::object();
    item["data"] = encode_png_base64(*img);
    item["name"] = "image.png";
    r["imageList"].push_back(item);
  }
  const HttpAnswer a = server_->post("/sdapi/v1/extra-batch-images", r);
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.json.at("images").size(), 2u);
  EXPECT_EQ(answer_image(a.json.at("images").at(0).as_string()).pixels,
            extras_upscale(local_upscale("Lanczos", 2.0), nullptr, nullptr, first).pixels);
  const Image b = answer_image(a.json.at("images").at(1).as_string());
  EXPECT_EQ(b.width, 48);
  EXPECT_EQ(b.height, 32);
  EXPECT_FALSE(a.json.at("html_info").as_string().empty());

  r["imageList"].as_array()[1]["data"] = "garbage";
  EXPECT_EQ(server_->post("/sdapi/v1/extra-batch-images", r).validation_field(), "imageList.1.data");
  r["imageList"].as_array()[1].as_object().clear();
  EXPECT_EQ(server_->post("/sdapi/v1/extra-batch-images", r).validation_field(), "imageList.1.data");
  r["imageList"] = json::Value::array();
  EXPECT_EQ(server_->post("/sdapi/v1/extra-batch-images", r).validation_field(), "imageList");
}

uint64_t ram_used(const ServerProcess& server) {
  const HttpAnswer m = server.get("/sdapi/v1/memory");
  EXPECT_EQ(m.status, 200) << m.body;
  return static_cast<uint64_t>(m.json.at("ram").at("used").as_int());
}

TEST_F(ServerA1111Routes, MemoryAndUnloadReload) {
  const HttpAnswer m = server_->get("/sdapi/v1/memory");
  ASSERT_EQ(m.status, 200) << m.body;
  const json::Value& ram = m.json.at("ram");
  EXPECT_GT(ram.at("total").as_int(), 0);
  EXPECT_GT(ram.at("used").as_int(), 0);
  EXPECT_EQ(ram.at("free").as_int() + ram.at("used").as_int(), ram.at("total").as_int());
  // "used" is the server's resident set (A1111's meaning): what /proc says of the process.
  const double rss = static_cast<double>(server_->rss_kib()) * 1024.0;
  EXPECT_NEAR(static_cast<double>(ram.at("used").as_int()), rss, rss * 0.25);
#if !FLUXGEN_HAVE_CUDA
  EXPECT_EQ(m.json.at("cuda").dump(), R"({"error":"unavailable"})");
#endif

  ASSERT_EQ(server_->post("/sdapi/v1/txt2img", small_request(4)).status, 200);
  const uint64_t loaded = ram_used(*server_);
  const HttpAnswer unload = server_->post("/sdapi/v1/unload-checkpoint", std::string());
  ASSERT_EQ(unload.status, 200) << unload.body;
  EXPECT_EQ(unload.json.dump(), "{}");
  const uint64_t unloaded = ram_used(*server_);
#if defined(__SANITIZE_ADDRESS__)
  // ASan's allocator holds freed memory in its quarantine (256 MiB) instead of giving it back, so
  // there the resident set says nothing about what the unload freed.
  constexpr bool kFreedMemoryLeavesTheProcess = false;
#else
  constexpr bool kFreedMemoryLeavesTheProcess = true;
#endif
  // The tiny models hold about 10 MiB of weights (more as f32); at least 2 MiB must come back.
  if (kFreedMemoryLeavesTheProcess) {
    EXPECT_LT(unloaded + (2u << 20), loaded) << "loaded " << loaded << ", unloaded " << unloaded;
  }
  const HttpAnswer reload = server_->post("/sdapi/v1/reload-checkpoint", std::string());
  ASSERT_EQ(reload.status, 200) << reload.body;
  // Reloading opens and maps the files again; on the CPU their pages come in as the next job reads
  // them, so the resident set grows a little at reload and back to the loaded size with that job.
  const uint64_t reloaded = ram_used(*server_);
  if (kFreedMemoryLeavesTheProcess) {
    EXPECT_GT(reloaded, unloaded) << "unloaded " << unloaded << ", reloaded " << reloaded;
  }
  ASSERT_EQ(server_->post("/sdapi/v1/txt2img", small_request(4)).status, 200);
  const uint64_t used_again = ram_used(*server_);
  if (kFreedMemoryLeavesTheProcess) {
    EXPECT_GT(used_again, unloaded + (2u << 20)) << "unloaded " << unloaded << ", after a job " << used_again;
  }

  // After an unload, the next job loads what it needs by itself, with the same result.
  const HttpAnswer before = server_->post("/sdapi/v1/txt2img", small_request(4));
  ASSERT_EQ(server_->post("/sdapi/v1/unload-checkpoint", std::string()).status, 200);
  const HttpAnswer after = server_->post("/sdapi/v1/txt2img", small_request(4));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(answer_images(after)[0].png.image.pixels, answer_images(before)[0].png.image.pixels);
}

TEST(ServerA1111RoutesAuth, EveryRouteNeedsTheCredentials) {
  FLUXGEN_REQUIRE_CLI();
  ServerProcess server(make_models_dir(), {"--api-auth", "alice:s3cret"});
  // Before any job there is nothing to reload.
  const HttpAnswer reload = server.post("/sdapi/v1/reload-checkpoint", "", "alice", "s3cret");
  EXPECT_EQ(reload.status, 409) << reload.body;
  const std::string png = encode_png_base64(test_picture(8, 8));
  const std::vector<std::string> gets = {"/sdapi/v1/scripts", "/sdapi/v1/script-info", "/sdapi/v1/memory",
                                         "/sdapi/v1/cmd-flags", "/sdapi/v1/embeddings", "/sdapi/v1/prompt-styles",
                                         "/sdapi/v1/face-restorers", "/sdapi/v1/realesrgan-models",
                                         "/sdapi/v1/hypernetworks", "/adetailer/v1/ad_model", "/adetailer/v1/version",
                                         "/internal/ping"};
  for (const std::string& path : gets) {
    EXPECT_EQ(server.get(path).status, 401) << path;
    EXPECT_EQ(server.get(path, "alice", "wrong").status, 401) << path;
    EXPECT_EQ(server.get(path, "alice", "s3cret").status, 200) << path;
  }
  const std::vector<std::pair<std::string, std::string>> posts = {
      {"/sdapi/v1/png-info", R"({"image": ")" + png + "\"}"},
      {"/sdapi/v1/extra-single-image", R"({"upscaler_1": "Lanczos", "image": ")" + png + "\"}"},
      {"/sdapi/v1/extra-batch-images", R"({"upscaler_1": "Lanczos", "imageList": [{"name": "a", "data": ")" + png + "\"}]}"},
      {"/sdapi/v1/interrogate", R"({"image": ")" + png + "\"}"},
      {"/sdapi/v1/unload-checkpoint", ""},
      {"/sdapi/v1/reload-checkpoint", ""}};
  for (const auto& [path, body] : posts) {
    EXPECT_EQ(server.post(path, body).status, 401) << path;
    const int status = server.post(path, body, "alice", "s3cret").status;
    EXPECT_TRUE(status == 200 || (path == "/sdapi/v1/interrogate" && status == 501) ||
                (path == "/sdapi/v1/reload-checkpoint" && status == 409))
        << path << " " << status;
  }
  // webuiapi with username/password: set_auth, then check_extensions with the session's auth.
  EXPECT_FALSE(webuiapi_has_adetailer(server.get("/sdapi/v1/scripts")));
  EXPECT_TRUE(webuiapi_has_adetailer(server.get("/sdapi/v1/scripts", "alice", "s3cret")));
}

}  // namespace
}  // namespace fluxgen::test
