// POST /fluxgen/v1/compare on `fluxgen serve`: a queued job with progress, its report written into
// --output-dir and served back (report pages and PNGs, "latest" for the browser UI's link), and the
// request validated (422 naming the field, 404 for a LoRA that is not installed).
#include <gtest/gtest.h>

#include <future>
#include <span>

#include "server_test_support.h"

namespace fluxgen::test {
namespace {

class ServerCompare : public ServerSuite {
 protected:
  static void SetUpTestSuite() {
    output_dir_ = std::make_unique<std::string>(temp_dir() + "/outputs");
    start_server({"--output-dir", *output_dir_});
  }
  static json::Value request(int steps = 2) {
    json::Value r = small_request(7, steps, 32);
    json::Value options = json::Value::array();
    options.push_back("bnb-nf4");
    options.push_back("bnb-nf4 (fp16 LoRA)");
    r["storage_options"] = options;
    json::Value loras = json::Value::array();
    loras.push_back("e2e_lora:0.8");
    r["loras"] = loras;
    return r;
  }
  inline static std::unique_ptr<std::string> output_dir_;
};

TEST_F(ServerCompare, RunsAsAJobAndServesItsReport) {
  EXPECT_EQ(server_->get("/fluxgen/v1/compare/latest/report.html").status, 404);  // none yet

  // Long enough to see its progress on /sdapi/v1/progress.
  auto done = std::async(std::launch::async, [] { return server_->post("/fluxgen/v1/compare", request(25)); });
  bool saw_progress = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!saw_progress && std::chrono::steady_clock::now() < deadline &&
         done.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready)
    saw_progress = server_->get("/sdapi/v1/progress?skip_current_image=true").json.at("progress").as_number() > 0;
  EXPECT_TRUE(saw_progress);
  const HttpAnswer a = done.get();
  ASSERT_EQ(a.status, 200) << a.body << server_->log();
  const json::Value& runs = a.json.at("runs");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs.at(0).at("option").as_string(), "Automatic");
  EXPECT_TRUE(runs.at(0).at("psnr_db").is_null());
  EXPECT_EQ(runs.at(0).at("ssim").as_number(), 1.0);
  EXPECT_LT(runs.at(1).at("weight_bytes").as_number(), runs.at(0).at("weight_bytes").as_number());
  EXPECT_TRUE(runs.at(1).at("lora_effect_error").is_number());
  EXPECT_FALSE(a.json.at("interrupted").as_bool());
  const std::string id = a.json.at("id").as_string();
  const std::string dir = a.json.at("report_dir").as_string();
  EXPECT_EQ(dir, *output_dir_ + "/compare/" + id);
  for (const char* f : {"report.html", "report.md", "report.json", "00-automatic.png", "02-bnb-nf4-fp16-lora.png"})
    EXPECT_TRUE(server_fs::exists(dir + "/" + f)) << f;

  const std::string url = a.json.at("report_url").as_string();
  EXPECT_EQ(url, "/fluxgen/v1/compare/" + id + "/report.html");
  const HttpAnswer page = server_->get(url);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_NE(page.body.find("bnb-nf4 (fp16 LoRA)"), std::string::npos);
  EXPECT_EQ(server_->get("/fluxgen/v1/compare/latest/report.html").body, page.body);
  // The browser UI links the newest report.
  EXPECT_NE(server_->get("/").body.find(R"(href="/fluxgen/v1/compare/latest/report.html")"), std::string::npos);
  const HttpAnswer png = server_->get("/fluxgen/v1/compare/" + id + "/01-bnb-nf4.png");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.header("Content-Type"), "image/png");
  const auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(png.body.data()), png.body.size());
  const DecodedImage decoded = decode_image(bytes, "01-bnb-nf4.png");
  EXPECT_EQ(decoded.image.width, 32);
  EXPECT_NE(infotext_from_metadata(decoded.metadata).value_or("").find("Diffusion in Low Bits: bnb-nf4"),
            std::string::npos);
  // Only the report's own names are served.
  EXPECT_EQ(server_->get("/fluxgen/v1/compare/" + id + "/missing.png").status, 404);
  EXPECT_EQ(server_->get("/fluxgen/v1/compare/" + id + "/..%2Freport.html").status, 404);
  EXPECT_EQ(server_->get("/fluxgen/v1/compare/19990101-000000/report.html").status, 404);
}

TEST_F(ServerCompare, BadRequestsAreRefusedBeforeTheyRun) {
  const auto field_of = [](const json::Value& body) {
    const HttpAnswer a = server_->post("/fluxgen/v1/compare", body);
    EXPECT_EQ(a.status, 422) << a.body;
    return a.validation_field();
  };
  json::Value r = request();
  r["storage_options"] = "bnb-nf4";
  EXPECT_EQ(field_of(r), "storage_options");
  r["storage_options"] = json::Value::array();
  EXPECT_EQ(field_of(r), "storage_options");
  json::Value list = json::Value::array();
  list.push_back("bnb-nf4");
  list.push_back(3);
  r["storage_options"] = list;
  EXPECT_EQ(field_of(r), "storage_options.1");
  list = json::Value::array();
  list.push_back("nf5");
  r["storage_options"] = list;
  EXPECT_EQ(field_of(r), "storage_options");
  r = request();
  r["steps"] = "many";
  EXPECT_EQ(field_of(r), "steps");
  r = request();
  r["batch_size"] = 2;
  EXPECT_EQ(field_of(r), "batch_size");
  r = request();
  r["enable_hr"] = true;
  EXPECT_EQ(field_of(r), "enable_hr");
  r = request();
  r["prompt"] = "a fox <lora:e2e_lora:1>";
  EXPECT_EQ(field_of(r), "prompt");
  EXPECT_EQ(server_->post("/fluxgen/v1/compare", std::string("[1]")).status, 422);
  r = request();
  json::Value loras = json::Value::array();
  loras.push_back("nobody:1");
  r["loras"] = loras;
  const HttpAnswer missing = server_->post("/fluxgen/v1/compare", r);
  EXPECT_EQ(missing.status, 404) << missing.body;
}

}  // namespace
}  // namespace fluxgen::test
