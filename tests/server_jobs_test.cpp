// The job side of `fluxgen serve`: /options applied to the jobs that follow, /progress while a job
// runs (steps advancing, live previews of each show_progress_type), interrupt and skip with the
// effect A1111 gives them, and the bounded queue answering 429 when full.
#include <gtest/gtest.h>

#include <future>

#include "server_test_support.h"

namespace fluxgen::test {
namespace {

// A job long enough to watch: kLongSize x kLongSize, kLongSteps steps per image.
constexpr int kLongSize = 64;
constexpr int kLongSteps = 30;
// The tiny fixture autoencoder halves the size (the real one divides by 8): the latent's width,
// which the cheap preview has; TAESD decodes it 8x larger.
constexpr int kLatentSize = kLongSize / 2;

class ServerJobs : public ServerSuite {
 protected:
  static void SetUpTestSuite() {
    start_server({"--queue-size", "1"}, /*with_taesd=*/true, [](const std::string& dir) {
      server_fs::create_symlink(fixture("flux_e2e.safetensors"),
                                server_fs::path(dir) / "Stable-diffusion/flux_e2e_copy.safetensors");
    });
  }

  static json::Value long_request(int64_t seed, int n_iter = 1) {
    json::Value r = small_request(seed, kLongSteps, kLongSize);
    r["n_iter"] = n_iter;
    return r;
  }
  static std::future<HttpAnswer> start(const json::Value& request) {
    return std::async(std::launch::async, [request] { return server_->post("/sdapi/v1/txt2img", request); });
  }
  // Polls /progress until `done` says so (or 60 s pass); returns the last answer.
  static json::Value wait_progress(const std::function<bool(const json::Value&)>& done) {
    json::Value last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      last = server_->get("/sdapi/v1/progress?skip_current_image=true").json;
      if (done(last)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return last;
  }
  static void set_options(const std::string& body) {
    const HttpAnswer a = server_->post("/sdapi/v1/options", body);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_TRUE(a.json.is_null());
  }
};

TEST_F(ServerJobs, OptionsApplyToTheJobsThatFollow) {
  const json::Value defaults = server_->get("/sdapi/v1/options").json;
  EXPECT_EQ(defaults.at("forge_unet_storage_dtype").as_string(), "Automatic");
  EXPECT_EQ(defaults.at("sd_model_checkpoint").as_string().rfind("flux_e2e.safetensors", 0), 0u);

  set_options(R"({"forge_unet_storage_dtype": "bnb-nf4"})");
  EXPECT_EQ(server_->get("/sdapi/v1/options").json.at("forge_unet_storage_dtype").as_string(), "bnb-nf4");
  HttpAnswer a = server_->post("/sdapi/v1/txt2img", small_request());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(answer_images(a)[0].info.get("Diffusion in Low Bits"), "bnb-nf4");

  // override_settings win for their request only.
  json::Value r = small_request();
  r["override_settings"] = json::Value::object();
  r["override_settings"]["forge_unet_storage_dtype"] = "float8-e4m3fn (fp16 LoRA)";
  a = server_->post("/sdapi/v1/txt2img", r);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(answer_images(a)[0].info.get("Diffusion in Low Bits"), "float8-e4m3fn (fp16 LoRA)");
  a = server_->post("/sdapi/v1/txt2img", small_request());
  EXPECT_EQ(answer_images(a)[0].info.get("Diffusion in Low Bits"), "bnb-nf4");

  // Another checkpoint, named by its A1111 title or stem; modules by file name.
  set_options(R"({"sd_model_checkpoint": "flux_e2e_copy.safetensors", "forge_unet_storage_dtype": "Automatic",
                  "forge_additional_modules": ["ae.safetensors", "clip_l.safetensors", "t5xxl.safetensors"]})");
  const json::Value now = server_->get("/sdapi/v1/options").json;
  EXPECT_EQ(now.at("sd_model_checkpoint").as_string().rfind("flux_e2e_copy.safetensors", 0), 0u);
  EXPECT_EQ(now.at("forge_additional_modules").size(), 3u);
  a = server_->post("/sdapi/v1/txt2img", small_request());
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(answer_images(a)[0].info.get("Model"), "flux_e2e_copy");
  EXPECT_EQ(answer_images(a)[0].info.get("Diffusion in Low Bits"), "Automatic");
  EXPECT_EQ(json::parse(a.json.at("info").as_string()).at("sd_model_name").as_string(), "flux_e2e_copy");

  // GET's document can be sent back as it is.
  const HttpAnswer back = server_->post("/sdapi/v1/options", server_->get("/sdapi/v1/options").body);
  EXPECT_EQ(back.status, 200) << back.body;
  set_options(R"({"sd_model_checkpoint": "flux_e2e", "forge_additional_modules": []})");
  a = server_->post("/sdapi/v1/txt2img", small_request());
  EXPECT_EQ(answer_images(a)[0].info.get("Model"), "flux_e2e");
}

TEST_F(ServerJobs, ProgressDuringAJob) {
  set_options(R"({"show_progress_every_n_steps": 1, "show_progress_type": "Approx cheap", "live_previews_enable": true})");
  const json::Value idle = server_->get("/sdapi/v1/progress").json;
  EXPECT_EQ(idle.at("progress").as_number(), 0.0);
  EXPECT_EQ(idle.at("state").at("job_count").as_int(), 0);
  EXPECT_TRUE(idle.at("current_image").is_null());

  auto job = start(long_request(1));
  std::vector<int> steps;
  std::vector<double> fractions;
  std::string image;
  bool skipped_image_null = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (job.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline) {
    const json::Value p = server_->get("/sdapi/v1/progress").json;
    const json::Value& state = p.at("state");
    if (state.at("sampling_steps").as_int() == 0) continue;  // not sampling yet (loading, encoding)
    EXPECT_EQ(state.at("job").as_string(), "txt2img");
    EXPECT_EQ(state.at("sampling_steps").as_int(), kLongSteps);
    EXPECT_GE(p.at("eta_relative").as_number(), 0.0);
    steps.push_back(static_cast<int>(state.at("sampling_step").as_int()));
    fractions.push_back(p.at("progress").as_number());
    if (p.at("current_image").is_string()) image = p.at("current_image").as_string();
    const json::Value without = server_->get("/sdapi/v1/progress?skip_current_image=true").json;
    skipped_image_null = skipped_image_null && without.at("current_image").is_null();
  }
  const HttpAnswer done = job.get();
  ASSERT_EQ(done.status, 200) << done.body;
  ASSERT_GE(steps.size(), 3u) << "the job ended before progress could be watched";
  EXPECT_TRUE(std::is_sorted(steps.begin(), steps.end()));
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_GT(steps.back(), steps.front());
  EXPECT_GT(fractions.back(), 0.0);
  EXPECT_LE(fractions.back(), 1.0);
  EXPECT_TRUE(skipped_image_null);
  ASSERT_FALSE(image.empty()) << "no current_image while the job ran";
  const DecodedImage preview = decode_image_base64(image, "current_image");
  EXPECT_EQ(preview.image.width, kLatentSize);  // "Approx cheap": one pixel per latent pixel
  EXPECT_EQ(server_->get("/sdapi/v1/progress").json.at("state").at("job_count").as_int(), 0);
}

TEST_F(ServerJobs, PreviewTypes) {
  // 16x16 pictures (an 8x8 latent): the real TAEF1 decoder renders 64x64 previews quickly.
  constexpr int kSize = 16, kLatent = kSize / 2;
  for (const auto& [type, width] : std::vector<std::pair<std::string, int>>{
           {"TAESD", 8 * kLatent}, {"Full", kSize}, {"Approx NN", 8 * kLatent}, {"Approx cheap", kLatent}}) {
    set_options(R"({"show_progress_every_n_steps": 1, "show_progress_type": ")" + type + "\"}");
    auto job = start(small_request(2, kLongSteps, kSize));
    std::string image;
    while (job.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready && image.empty()) {
      const json::Value p = server_->get("/sdapi/v1/progress").json;
      if (p.at("current_image").is_string()) image = p.at("current_image").as_string();
    }
    ASSERT_EQ(server_->post("/sdapi/v1/interrupt", std::string()).status, 200);
    EXPECT_EQ(job.get().status, 200);
    ASSERT_FALSE(image.empty()) << type;
    EXPECT_EQ(decode_image_base64(image, "current_image").image.width, width) << type;
  }
}

TEST_F(ServerJobs, InterruptStopsTheRequest) {
  // The first image uncut (a request's first image does not depend on how many follow).
  const HttpAnswer full = server_->post("/sdapi/v1/txt2img", long_request(21));
  ASSERT_EQ(full.status, 200);
  const auto reference = answer_images(full);
  ASSERT_EQ(reference.size(), 1u);

  auto job = start(long_request(21, 2));
  wait_progress([](const json::Value& p) { return p.at("state").at("sampling_step").as_int() >= 2; });
  const HttpAnswer interrupt = server_->post("/sdapi/v1/interrupt", std::string());
  EXPECT_EQ(interrupt.status, 200);
  EXPECT_TRUE(interrupt.json.is_object());
  const HttpAnswer a = job.get();
  ASSERT_EQ(a.status, 200) << a.body;
  const auto images = answer_images(a);
  ASSERT_EQ(images.size(), 1u);  // the second image of n_iter 2 never starts
  EXPECT_NE(images[0].png.image.pixels, reference[0].png.image.pixels);  // stopped early
  EXPECT_TRUE(json::parse(a.json.at("info").as_string()).at("interrupted").as_bool());
  EXPECT_TRUE(server_->get("/sdapi/v1/progress").json.at("state").at("interrupted").as_bool());
  // The next job runs in full again.
  const HttpAnswer next = server_->post("/sdapi/v1/txt2img", small_request());
  EXPECT_EQ(next.status, 200);
  EXPECT_FALSE(json::parse(next.json.at("info").as_string()).at("interrupted").as_bool());
}

TEST_F(ServerJobs, SkipMovesToTheNextImage) {
  const auto reference = answer_images(server_->post("/sdapi/v1/txt2img", long_request(31, 2)));
  ASSERT_EQ(reference.size(), 2u);
  auto job = start(long_request(31, 2));
  wait_progress([](const json::Value& p) {
    return p.at("state").at("job_no").as_int() == 0 && p.at("state").at("sampling_step").as_int() >= 2;
  });
  EXPECT_EQ(server_->post("/sdapi/v1/skip", std::string()).status, 200);
  const json::Value after = wait_progress([](const json::Value& p) {
    return p.at("state").at("job_no").as_int() == 1 || p.at("state").at("job_count").as_int() == 0;
  });
  EXPECT_TRUE(after.at("state").at("skipped").as_bool() || after.at("state").at("job_count").as_int() == 0);
  const HttpAnswer a = job.get();
  ASSERT_EQ(a.status, 200);
  const auto images = answer_images(a);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_NE(images[0].png.image.pixels, reference[0].png.image.pixels);  // cut short
  EXPECT_EQ(images[1].png.image.pixels, reference[1].png.image.pixels);  // untouched
}

TEST_F(ServerJobs, FullQueueAnswers429) {
  auto running = start(long_request(41));
  wait_progress([](const json::Value& p) { return p.at("state").at("job_count").as_int() > 0; });
  auto waiting = start(small_request(42));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server_->get("/fluxgen/v1/queue").json.at("waiting").as_int() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const json::Value queue = server_->get("/fluxgen/v1/queue").json;
  EXPECT_TRUE(queue.at("running").as_bool());
  EXPECT_EQ(queue.at("waiting").as_int(), 1);
  EXPECT_EQ(queue.at("capacity").as_int(), 1);

  const HttpAnswer full = server_->post("/sdapi/v1/txt2img", small_request(43));
  EXPECT_EQ(full.status, 429) << full.body;
  EXPECT_EQ(full.json.at("error").as_string(), "QueueFull");
  EXPECT_NE(full.json.at("detail").as_string().find("queue is full"), std::string::npos);
  EXPECT_EQ(full.header("Retry-After"), "1");

  server_->post("/sdapi/v1/interrupt", std::string());
  EXPECT_EQ(running.get().status, 200);
  EXPECT_EQ(waiting.get().status, 200);  // queued jobs run in order after the interrupted one
  EXPECT_EQ(server_->post("/sdapi/v1/txt2img", small_request(44)).status, 200);
}

}  // namespace
}  // namespace fluxgen::test
