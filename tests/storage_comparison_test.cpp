// `fluxgen compare` on the tiny models: every storage option measured with sane relations, the
// LoRA effect error, the report files (self-contained HTML, PNGs with infotext), the option list's
// validation, interrupts (in the library and a SIGINT to the spawned program) and bad inputs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "io/image/image_io.h"
#include "io/json.h"
#include "pipeline/comparison_report.h"
#include "pipeline/infotext.h"
#include "pipeline/storage_comparison.h"
#include "test_support.h"
#include "tiny_models.h"
#include "util/error.h"

extern char** environ;

namespace fluxgen {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

GenerationSettings tiny_settings(bool with_lora) {
  GenerationSettings s = resolve_settings(json::parse(R"({"width": 64, "height": 48, "steps": 2, "seed": 11,
                                                          "prompt": "a face"})"));
  if (with_lora) s.loras.push_back({test::tiny_models_dir_with_lora() + "/Lora/me.safetensors", 0.8f});
  return s;
}

const StorageMeasurement& find(const StorageComparison& c, const std::string& label) {
  for (const auto& m : c.runs)
    if (m.label == label) return m;
  throw std::runtime_error("no run " + label);
}

// One comparison of all nine options with the LoRA, shared by the tests that only read it.
const StorageComparison& full_comparison() {
  static const StorageComparison c = [] {
    test::TinyRun run({}, test::tiny_models_dir_with_lora());
    size_t calls = 0;
    StorageComparison out = run_storage_comparison(run.models, run.hashes, run.progress, tiny_settings(true),
                                                   default_comparison_options(), [&](const StorageComparison& so_far) {
                                                     ++calls;
                                                     EXPECT_EQ(so_far.runs.size(), calls);
                                                   });
    EXPECT_EQ(calls, 9u);
    return out;
  }();
  return c;
}

TEST(StorageComparison, EveryOptionAppearsWithSaneRelations) {
  const StorageComparison& c = full_comparison();
  ASSERT_FALSE(c.interrupted);
  const auto expected = default_comparison_options();
  ASSERT_EQ(c.runs.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(c.runs[i].label, expected[i].label);
    EXPECT_EQ(c.runs[i].reference, i == 0);
    EXPECT_GT(c.runs[i].weight_bytes, 0u);
    EXPECT_GT(c.runs[i].seconds_per_step, 0.0);
    EXPECT_GE(c.runs[i].total_seconds, c.runs[i].load_seconds);
    ASSERT_TRUE(c.runs[i].peak_host_bytes.has_value());  // Linux: VmHWM
    EXPECT_GT(*c.runs[i].peak_host_bytes, 0u);
    EXPECT_FALSE(c.runs[i].peak_device_bytes.has_value());  // the CPU
    EXPECT_EQ(c.runs[i].image.width, 64);
    EXPECT_EQ(c.runs[i].image.height, 48);
    EXPECT_NE(c.runs[i].infotext.find("Seed: 11"), std::string::npos);
  }
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.settings.seed, 11);
  // The tiny file is bf16: 4-bit < 8-bit < the file's own 16-bit; merged and online hold the same.
  const uint64_t bf16 = find(c, "Automatic").weight_bytes;
  for (const char* base : {"bnb-nf4", "bnb-fp4", "float8-e4m3fn", "float8-e5m2"})
    EXPECT_EQ(find(c, base).weight_bytes, find(c, std::string(base) + " (fp16 LoRA)").weight_bytes) << base;
  for (const char* four : {"bnb-nf4", "bnb-fp4"})
    for (const char* eight : {"float8-e4m3fn", "float8-e5m2"}) {
      EXPECT_LT(find(c, four).weight_bytes, find(c, eight).weight_bytes) << four << " vs " << eight;
      EXPECT_LT(find(c, eight).weight_bytes, bf16) << eight;
    }
  // The reference against itself; every other option differs, but not wildly.
  EXPECT_TRUE(std::isinf(c.runs[0].psnr) && c.runs[0].psnr > 0);
  EXPECT_EQ(c.runs[0].ssim, 1.0);
  for (size_t i = 1; i < c.runs.size(); ++i) {
    EXPECT_TRUE(std::isfinite(c.runs[i].psnr)) << c.runs[i].label;
    EXPECT_GT(c.runs[i].psnr, 20.0) << c.runs[i].label;
    EXPECT_LT(c.runs[i].ssim, 1.0) << c.runs[i].label;
    EXPECT_GT(c.runs[i].ssim, 0.9) << c.runs[i].label;
  }
  // fp8-e4m3 (3 mantissa bits) is closer to bf16 than e5m2 (2 bits), which is closer than the 4-bit ones.
  EXPECT_GT(find(c, "float8-e4m3fn").psnr, find(c, "float8-e5m2").psnr);
  EXPECT_GT(find(c, "float8-e5m2").psnr, find(c, "bnb-nf4").psnr);
}

TEST(StorageComparison, OnlineLoraKeepsMoreOfTheEffectThanMerged) {
  const StorageComparison& c = full_comparison();
  ASSERT_TRUE(c.runs[0].lora_effect_error.has_value());
  EXPECT_NEAR(*c.runs[0].lora_effect_error, 0.0, 1e-12);
  for (const char* base : {"bnb-nf4", "bnb-fp4", "float8-e4m3fn", "float8-e5m2"}) {
    const auto& merged = find(c, base);
    const auto& online = find(c, std::string(base) + " (fp16 LoRA)");
    ASSERT_TRUE(merged.lora_effect_error && online.lora_effect_error) << base;
    EXPECT_GT(*merged.lora_effect_error, 0.0) << base;
    EXPECT_LT(*online.lora_effect_error, *merged.lora_effect_error) << base;
  }
}

TEST(StorageComparison, WithoutALoraThereIsNoEffectErrorAndModesAgree) {
  test::TinyRun run;
  const auto c = run_storage_comparison(run.models, run.hashes, run.progress, tiny_settings(false),
                                        parse_comparison_options("bnb-nf4,bnb-nf4 (fp16 LoRA)"), nullptr);
  ASSERT_EQ(c.runs.size(), 3u);
  for (const auto& m : c.runs) EXPECT_FALSE(m.lora_effect_error.has_value()) << m.label;
  // Without a LoRA, merged and online are the same weights: the same image.
  EXPECT_EQ(c.runs[1].image.pixels, c.runs[2].image.pixels);
  EXPECT_EQ(c.runs[1].psnr, c.runs[2].psnr);
}

TEST(StorageComparison, AnInterruptKeepsTheFinishedOptions) {
  test::TinyRun run;
  const auto c = run_storage_comparison(run.models, run.hashes, run.progress, tiny_settings(false),
                                        default_comparison_options(), [&](const StorageComparison& so_far) {
                                          if (so_far.runs.size() == 2) run.progress.interrupt();
                                        });
  EXPECT_TRUE(c.interrupted);
  ASSERT_EQ(c.runs.size(), 2u);
  EXPECT_EQ(c.runs[1].label, "bnb-nf4");
}

TEST(StorageComparison, OptionListsAreValidated) {
  const auto o = parse_comparison_options("bnb-nf4, float8-e4m3fn (fp16 LoRA),Automatic");
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].label, "Automatic");
  EXPECT_EQ(o[1].label, "bnb-nf4");
  EXPECT_EQ(o[2].label, "float8-e4m3fn (fp16 LoRA)");
  const std::string bad = test::error_of([] { parse_comparison_options("bnb-nf4,nf5"); });
  EXPECT_NE(bad.find("--storage"), std::string::npos) << bad;
  EXPECT_NE(bad.find("nf5"), std::string::npos) << bad;
  EXPECT_NE(test::error_of([] { parse_comparison_options("bnb-nf4,,fp8"); }).find("empty entry"), std::string::npos);
  EXPECT_NE(test::error_of([] { parse_comparison_options("bnb-nf4,bnb-nf4"); }).find("listed twice"),
            std::string::npos);
  EXPECT_EQ(default_comparison_options().size(), 9u);
}

TEST(StorageComparison, ImageNamesAreSlugs) {
  EXPECT_EQ(comparison_image_name(0, "Automatic"), "00-automatic.png");
  EXPECT_EQ(comparison_image_name(4, "float8-e4m3fn (fp16 LoRA)"), "04-float8-e4m3fn-fp16-lora.png");
}

TEST(ComparisonReport, FilesAreWrittenAndTheHtmlIsSelfContained) {
  const StorageComparison& c = full_comparison();
  const std::string dir = test::temp_dir() + "/report";
  write_comparison_report(c, dir);
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const std::string png = dir + "/" + comparison_image_name(i, c.runs[i].label);
    ASSERT_TRUE(fs::exists(png)) << png;
    const DecodedImage d = read_image_file(png);
    EXPECT_EQ(d.image.pixels, c.runs[i].image.pixels) << png;
    const auto info = infotext_from_metadata(d.metadata);
    ASSERT_TRUE(info.has_value()) << png;
    EXPECT_EQ(*info, c.runs[i].infotext);
    EXPECT_NE(info->find("Lora hashes: \"me: "), std::string::npos) << *info;
  }
  const std::string html = slurp(dir + "/report.html");
  ASSERT_FALSE(html.empty());
  // No external reference of any kind: no URL scheme but data:, no style sheet or script file.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  const std::regex attr(R"re((src|href)\s*=\s*"([^"]*)")re");
  size_t images = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attr); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[2].str().rfind("data:image/png;base64,", 0), 0u) << (*it)[0].str().substr(0, 80);
    ++images;
  }
  EXPECT_EQ(images, c.runs.size() + 2);  // the grid and the slider's two
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("bnb-fp4 (fp16 LoRA)"), std::string::npos);

  const json::Value j = json::parse(slurp(dir + "/report.json"));
  ASSERT_EQ(j.at("runs").size(), c.runs.size());
  EXPECT_TRUE(j.at("runs").at(0).at("psnr_db").is_null());  // +inf: identical to the reference
  EXPECT_EQ(j.at("runs").at(0).at("ssim").as_number(), 1.0);
  EXPECT_EQ(j.at("runs").at(1).at("image").as_string(), comparison_image_name(1, c.runs[1].label));
  EXPECT_NEAR(j.at("runs").at(2).at("lora_effect_error").as_number(), *c.runs[2].lora_effect_error, 1e-12);
  EXPECT_FALSE(j.at("interrupted").as_bool());

  const std::string md = slurp(dir + "/report.md");
  EXPECT_NE(md.find("| option | weights MiB |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Automatic (reference) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| ∞ |"), std::string::npos) << md;
  size_t rows = 0;
  for (size_t p = md.find("\n|"); p != std::string::npos; p = md.find("\n|", p + 1)) ++rows;
  EXPECT_EQ(rows, c.runs.size() + 2);  // the header, the rule and one row per option
}

// ---- the program ----

int count_pngs(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".png") ++n;
  return n;
}

TEST(CompareCli, WritesTheReportsAndAProgressLinePerOption) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/cmp";
  const auto r = test::run_fluxgen({"compare", "--models-dir", test::tiny_models_dir_with_lora(), "--size", "32x32",
                                    "--steps", "2", "--seed", "5", "--prompt", "a face", "--lora", "me:0.8",
                                    "--storage", "bnb-nf4,bnb-nf4 (fp16 LoRA)", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, out + "/report.html\n");
  EXPECT_NE(r.err.find("[1/3] Automatic"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[3/3] bnb-nf4 (fp16 LoRA)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LoRA effect error"), std::string::npos) << r.err;
  for (const char* f : {"report.html", "report.md", "report.json", "00-automatic.png", "01-bnb-nf4.png",
                        "02-bnb-nf4-fp16-lora.png"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  const json::Value j = json::parse(slurp(out + "/report.json"));
  EXPECT_EQ(j.at("runs").size(), 3u);
  EXPECT_EQ(j.at("width").as_number(), 32);
  EXPECT_EQ(j.at("seed").as_number(), 5);
}

TEST(CompareCli, BadInputsAreRefusedBeforeAnythingIsWritten) {
  FLUXGEN_REQUIRE_CLI();
  const std::string base = test::temp_dir();
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::string models = test::tiny_models_dir_with_lora();
  const std::vector<Case> cases = {
      {{"--models-dir", models, "--storage", "bnb-nf4,nf5"}, "--storage"},
      {{"--models-dir", models, "--storage", "bnb-nf4,nf5"}, "nf5"},
      {{"--models-dir", base + "/no-such-folder"}, "no-such-folder"},
      {{"--models-dir", models, "--lora", "nobody:1"}, "--lora"},
      {{"--models-dir", models, "--lora", "nobody:1"}, "nobody"},
      {{"--models-dir", models, "--lora", "me:0.8x"}, "me:0.8x"},
      {{"--models-dir", models, "--size", "64by64"}, "--size"},
      {{"--models-dir", models, "--prompt", "a <lora:me:1>"}, "--lora NAME:WEIGHT"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string out = base + "/out" + std::to_string(i);
    std::vector<std::string> args = {"compare", "--steps", "1", "--width", "32", "--height", "32", "--output", out};
    args.insert(args.end(), cases[i].args.begin(), cases[i].args.end());
    const auto r = test::run_fluxgen(args);
    EXPECT_EQ(r.exit_code, 1) << i << ": " << r.err;
    EXPECT_NE(r.err.find(cases[i].expected), std::string::npos) << i << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << i << ": one line, got " << r.err;
    EXPECT_FALSE(fs::exists(out)) << i << ": " << out << " was created";
  }
}

TEST(CompareCli, SigintKeepsTheFinishedOptionsAndTheirReport) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir(), out = dir + "/cmp";
  // Big enough that the nine options take many seconds, so the signal lands mid-way.
  std::vector<std::string> args = {FLUXGEN_BINARY, "compare", "--models-dir", test::tiny_models_dir(), "--size",
                                   "128x128", "--steps", "12", "--seed", "1", "--prompt", "a face", "--output", out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err_path = dir + "/err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, FLUXGEN_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Wait for the first finished option (its report), then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(out + "/report.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(out + "/report.json")) << slurp(err_path);
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const std::string err = slurp(err_path);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), 1) << err;
  EXPECT_NE(err.find("interrupted after"), std::string::npos) << err;
  const json::Value j = json::parse(slurp(out + "/report.json"));
  EXPECT_TRUE(j.at("interrupted").as_bool());
  const size_t done = j.at("runs").size();
  EXPECT_GE(done, 1u);
  EXPECT_LT(done, 9u);
  EXPECT_EQ(count_pngs(out), static_cast<int>(done));
  EXPECT_NE(slurp(out + "/report.html").find("Interrupted"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen
