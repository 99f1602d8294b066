// Helpers for the HTTP server tests: a tiny Forge-layout models folder built from the fixtures, a
// `fluxgen serve` process started on a free loopback port (--port 0; the port is read from the
// line it prints), and JSON requests through cpp-httplib's client.
#pragma once
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/image/image_io.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "pipeline/infotext.h"
#include "child_process.h"
#include "test_support.h"

namespace fluxgen::test {

namespace server_fs = std::filesystem;

// A LoRA for flux_e2e (hidden 64) in kohya naming on two of its weights: the kohya fixture targets
// the 96-wide model, so it cannot load onto flux_e2e.
inline void write_e2e_lora(const std::string& path, float scale = 0.5f) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, scale);
  auto random = [&](Shape shape) {
    std::vector<float> v(static_cast<size_t>(shape[0] * shape[1]));
    for (float& x : v) x = normal(rng);
    return Tensor::from_vector(shape, v);
  };
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, out, in] : std::vector<std::tuple<std::string, int64_t, int64_t>>{
           {"lora_unet_double_blocks_0_img_attn_qkv", 192, 64}, {"lora_unet_single_blocks_0_linear1", 448, 64}}) {
    tensors.emplace_back(name + ".lora_down.weight", random({4, in}));
    tensors.emplace_back(name + ".lora_up.weight", random({out, 4}));
    tensors.emplace_back(name + ".alpha", Tensor::from_vector({}, {4.0f}));
  }
  write_safetensors(path, tensors, {{"ss_output_name", "e2e_detail"}});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Stable-diffusion/flux_e2e (+ broken.safetensors, not a model), VAE/ae, text_encoder/clip_l and
// t5xxl, Lora/e2e_lora, ESRGAN/esrgan; VAE-approx/taef1_decoder when `with_taesd`.
inline std::string make_models_dir(bool with_taesd = false) {
  const server_fs::path d = temp_dir();
  for (const char* sub : {"Stable-diffusion", "VAE", "text_encoder", "Lora", "ESRGAN", "VAE-approx"})
    server_fs::create_directories(d / sub);
  server_fs::create_symlink(fixture("flux_e2e.safetensors"), d / "Stable-diffusion/flux_e2e.safetensors");
  server_fs::create_symlink(fixture("ae.safetensors"), d / "VAE/ae.safetensors");
  server_fs::create_symlink(fixture("clip_l.safetensors"), d / "text_encoder/clip_l.safetensors");
  server_fs::create_symlink(fixture("t5xxl.safetensors"), d / "text_encoder/t5xxl.safetensors");
  server_fs::create_symlink(fixture("esrgan.safetensors"), d / "ESRGAN/esrgan.safetensors");
  if (with_taesd)
    server_fs::create_symlink(fixture("real/taef1_decoder.safetensors"), d / "VAE-approx/taef1_decoder.safetensors");
  write_e2e_lora((d / "Lora/e2e_lora.safetensors").string());
  // Eight bytes of header length announcing far more header than the file has.
  write_bytes((d / "Stable-diffusion/broken.safetensors").string(), std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8) + "{\"a\":");
  return d.string();
}

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  httplib::Headers headers;
  json::Value json;  // null when the body is not JSON

  std::string header(const std::string& key) const {
    const auto it = headers.find(key);
    return it == headers.end() ? "" : it->second;
  }
  // FastAPI's 422 location: "steps" for ["body", "steps"], "override_settings.sd_model_checkpoint" ...
  std::string validation_field() const {
    const json::Value* detail = json.find("detail");
    if (!detail || !detail->is_array() || detail->size() == 0) return "";
    std::string field;
    const json::Value& loc = detail->at(0).at("loc");
    for (size_t i = 1; i < loc.size(); ++i) field += (i > 1 ? "." : "") + loc.at(i).as_string();
    return field.empty() ? "body" : field;
  }
};

class ServerProcess {
 public:
  explicit ServerProcess(const std::string& models_dir, std::vector<std::string> extra = {}) {
    const std::string dir = temp_dir();
    std::vector<std::string> args = {FLUXGEN_BINARY, "serve", "--port", "0", "--models-dir", models_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    // The first line says where it listens; nothing later on stdout is needed.
    process_ = std::make_unique<ChildProcess>(std::move(args), dir + "/server.log", "\n",
                                              std::vector<std::string>{"FLUXGEN_CACHE_DIR=" + dir},
                                              ChildOptions{.truncate_log = true, .keep_stdout = false});
    std::smatch m;
    const std::string& line = process_->first_output();
    if (!std::regex_search(line, m, std::regex(R"(http://127\.0\.0\.1:(\d+))")))
      throw std::runtime_error("fluxgen serve did not start: " + line + log());
    port_ = std::stoi(m[1].str());
  }

  // SIGTERM and wait; returns the exit status (or -1 when it had to be killed).
  int stop() { return process_->stop(); }
  bool alive() { return process_->alive(); }
  int port() const { return port_; }

  // VmRSS of the server in KiB (/proc/PID/status).
  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
    std::string key;
    long value = -1;
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) value = std::stol(line.substr(6));
    return value;
  }

  std::string log() const { return process_->log(); }

  httplib::Client client(const std::string& user = "", const std::string& password = "") const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(300, 0);
    c.set_write_timeout(60, 0);
    c.set_connection_timeout(10, 0);
    if (!user.empty()) c.set_basic_auth(user.c_str(), password.c_str());
    return c;
  }

  HttpAnswer post(const std::string& path, const std::string& body, const std::string& user = "",
                  const std::string& password = "") const {
    httplib::Client c = client(user, password);
    return answer(c.Post(path.c_str(), body, "application/json"));
  }
  HttpAnswer post(const std::string& path, const json::Value& body) const { return post(path, body.dump()); }
  HttpAnswer get(const std::string& path, const std::string& user = "", const std::string& password = "") const {
    httplib::Client c = client(user, password);
    return answer(c.Get(path.c_str()));
  }

  static HttpAnswer answer(const httplib::Result& r) {
    HttpAnswer a;
    if (!r) {
      a.body = "no answer: " + httplib::to_string(r.error());
      return a;
    }
    a.status = r->status;
    a.body = r->body;
    a.headers = r->headers;
    try {
      a.json = json::parse(r->body);
    } catch (const std::exception&) {
    }
    return a;
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// A suite sharing one `fluxgen serve` over a fresh tiny models folder: SetUpTestSuite calls
// start_server; the server stops after the suite's last test.
class ServerSuite : public ::testing::Test {
 protected:
  // `prepare` may add files to the models folder before the server starts.
  static void start_server(std::vector<std::string> flags = {}, bool with_taesd = false,
                           const std::function<void(const std::string&)>& prepare = {}) {
    if (!fluxgen_built()) return;
    models_dir_ = std::make_unique<std::string>(make_models_dir(with_taesd));
    if (prepare) prepare(*models_dir_);
    server_ = std::make_unique<ServerProcess>(*models_dir_, std::move(flags));
  }
  static void TearDownTestSuite() {
    server_.reset();
    models_dir_.reset();
  }
  void SetUp() override { FLUXGEN_REQUIRE_CLI(); }

  inline static std::unique_ptr<std::string> models_dir_;
  inline static std::unique_ptr<ServerProcess> server_;
};

// A small, fast txt2img request (64x64, 2 steps).
inline json::Value small_request(int64_t seed = 1234, int steps = 2, int size = 64) {
  json::Value r = json::Value::object();
  r["prompt"] = "a red fox in the snow";
  r["seed"] = seed;
  r["steps"] = steps;
  r["width"] = size;
  r["height"] = size;
  return r;
}

// The images of a txt2img/img2img answer, decoded, with their infotexts.
struct AnswerImage {
  DecodedImage png;
  Infotext info;
  std::string raw_infotext;
};
inline std::vector<AnswerImage> answer_images(const HttpAnswer& a) {
  std::vector<AnswerImage> out;
  for (const json::Value& img : a.json.at("images").as_array()) {
    AnswerImage i;
    i.png = decode_image_base64(img.as_string(), "answer image");
    i.raw_infotext = infotext_from_metadata(i.png.metadata).value_or("");
    i.info = parse_infotext(i.raw_infotext);
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace fluxgen::test
