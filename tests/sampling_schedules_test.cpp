// Sigma schedules against BFL's get_schedule and Forge's schedulers (tests/fixtures/*_schedules.json).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/json.h"
#include "io/mapped_file.h"
#include "sampling/beta_distribution.h"
#include "sampling/schedules.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::sampling {
namespace {

json::Value load_json(const std::string& name) {
  const std::string path = test::fixture(name);
  return json::parse(read_text_file(path), path);
}

std::vector<double> numbers(const json::Value& array) {
  std::vector<double> out;
  for (const auto& v : array.as_array()) out.push_back(v.as_number());
  return out;
}

// "8@0.3" -> {8, 0.3}; "4@1024x768" -> {4, "1024x768"}.
std::pair<int, std::string> split_key(const std::string& key) {
  const size_t at = key.find('@');
  return {std::stoi(key.substr(0, at)), key.substr(at + 1)};
}

// Asserts equal lengths and returns the largest difference.
double max_diff(const std::vector<float>& got, const std::vector<double>& ref, const std::string& what) {
  EXPECT_EQ(got.size(), ref.size()) << what;
  double m = 0;
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) m = std::max(m, std::fabs(got[i] - ref[i]));
  return m;
}

TEST(SamplingSchedules, BflMatchesGetSchedule) {
  const json::Value doc = load_json("bfl_schedules.json");
  int cases = 0, exact = 0;
  for (const auto& [key, value] : doc.at("table").as_object()) {
    const auto [steps, size] = split_key(key);
    const size_t x = size.find('x');
    const int64_t w = std::stoll(size.substr(0, x)), h = std::stoll(size.substr(x + 1));
    const auto got = make_schedule("BFL", steps, (w / 16) * (h / 16));
    const auto ref = numbers(value);
    const double d = max_diff(got, ref, key);
    EXPECT_LE(d, 1e-6) << key;
    EXPECT_EQ(got.front(), 1.0f) << key;
    EXPECT_EQ(got.back(), 0.0f) << key;
    ++cases;
    exact += d == 0.0;
  }
  EXPECT_EQ(cases, 30);
  // Same float32 operations as torch: every schedule is bit-identical.
  EXPECT_EQ(exact, cases);
}

TEST(SamplingSchedules, SimpleMatchesForgeExactly) {
  const json::Value doc = load_json("forge_schedules.json");
  int cases = 0;
  for (const auto& [key, value] : doc.at("simple").as_object()) {
    const auto got = make_schedule("Simple", std::stoi(key), 4096);
    EXPECT_EQ(max_diff(got, numbers(value), key), 0.0) << key;
    ++cases;
  }
  EXPECT_GE(cases, 10);
  // Resolution independent (Forge fixes mu at 1.15).
  EXPECT_EQ(make_schedule("simple", 12, 256), make_schedule("SIMPLE", 12, 16384));
}

TEST(SamplingSchedules, Img2ImgWindowsMatchForge) {
  const json::Value doc = load_json("forge_schedules.json");
  for (const auto& [group, explicit_steps] : {std::pair{"hires_fixed_steps", true}, std::pair{"img2img", false}}) {
    int cases = 0;
    for (const auto& [key, value] : doc.at(group).as_object()) {
      const auto [steps, denoise] = split_key(key);
      const auto got = img2img_window("Simple", steps, std::stod(denoise), explicit_steps, 4096);
      EXPECT_EQ(max_diff(got, numbers(value), key), 0.0) << group << " " << key;
      ++cases;
    }
    EXPECT_GE(cases, 4) << group;
  }
  // The document's settings: HiRes 8 steps at 0.3 runs exactly 8 steps, ADetailer 18 at 0.45 runs 9.
  EXPECT_EQ(img2img_window("Simple", 8, 0.3, true, 4096).size(), 9u);
  EXPECT_EQ(img2img_window("Simple", 18, 0.45, false, 4096).size(), 10u);
  const Img2ImgSteps hires = img2img_steps(8, 0.3, true);
  EXPECT_EQ(hires.total_steps, 26);  // int(8 / 0.3)
  EXPECT_EQ(hires.t_enc, 7);
  const Img2ImgSteps plain = img2img_steps(12, 0.3, false);
  EXPECT_EQ(plain.total_steps, 12);
  EXPECT_EQ(plain.t_enc, 3);  // int(0.3 * 12) = int(3.5999999999999996)
  // Strength 1 is clamped to 0.999: a plain window keeps every step.
  EXPECT_EQ(img2img_window("Simple", 10, 1.0, false, 4096), make_schedule("Simple", 10, 4096));
}

TEST(SamplingSchedules, ForgeSigmaTableEnds) {
  const auto& table = forge_flux_sigma_table();
  ASSERT_EQ(table.size(), 10000u);
  EXPECT_EQ(table.back(), 1.0f);
  // shift(1e-4) with mu = 1.15: e^1.15 / (e^1.15 + 9999).
  EXPECT_NEAR(table.front(), std::exp(1.15) / (std::exp(1.15) + 9999.0), 1e-9);
  for (size_t i = 1; i < table.size(); ++i) ASSERT_LE(table[i - 1], table[i]);
  EXPECT_NEAR(flux_mu(4096), 1.15, 1e-12);
  EXPECT_NEAR(flux_mu(256), 0.5, 1e-12);
}

TEST(SamplingSchedules, NormalIsLinearOverTheTable) {
  const auto& table = forge_flux_sigma_table();
  const auto s = make_schedule("normal", 5, 4096);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(s[4], table.front());
  EXPECT_EQ(s[5], 0.0f);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(s[i], 1.0 + (table.front() - 1.0) * i / 4.0, 1e-7) << i;
  EXPECT_EQ(make_schedule("Normal", 1, 4096), (std::vector<float>{1.0f, 0.0f}));
}

TEST(SamplingSchedules, BetaFollowsTheBetaQuantiles) {
  const auto& table = forge_flux_sigma_table();
  const double lo = table.front(), hi = table.back();
  const auto s = make_schedule("Beta", 7, 4096);
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s[0], 1.0f);
  EXPECT_EQ(s[6], static_cast<float>(lo));
  EXPECT_EQ(s[7], 0.0f);
  // alpha = beta: symmetric quantiles, ppf(0.5) = 0.5.
  EXPECT_NEAR(s[3], lo + 0.5 * (hi - lo), 1e-7);
  EXPECT_NEAR(s[1] - lo, hi - s[5], 1e-6);
  for (int i = 1; i < 8; ++i) EXPECT_LT(s[i], s[i - 1]) << i;
  // Beta(0.6, 0.6) puts more steps near both ends than a linear ramp does.
  EXPECT_GT(s[1], lo + (5.0 / 6.0) * (hi - lo));
  EXPECT_EQ(make_schedule("Beta", 1, 4096), (std::vector<float>{1.0f, 0.0f}));
}

TEST(SamplingSchedules, BetaQuantileFunction) {
  // Closed forms: Beta(1,1) is uniform; Beta(2,1) has CDF x^2; Beta(1/2,1/2) is the arcsine law
  // with CDF (2/pi) asin(sqrt(x)).
  for (double p : {0.01, 0.2, 0.5, 0.77, 0.999}) {
    EXPECT_NEAR(beta_ppf(p, 1, 1), p, 1e-14);
    EXPECT_NEAR(beta_ppf(p, 2, 1), std::sqrt(p), 1e-14);
    const double s = std::sin(p * M_PI / 2);
    EXPECT_NEAR(beta_ppf(p, 0.5, 0.5), s * s, 1e-13);
    EXPECT_NEAR(regularized_incomplete_beta(beta_ppf(p, 0.6, 0.6), 0.6, 0.6), p, 1e-13);
  }
  // scipy.stats.beta.ppf(0.1, 0.6, 0.6) = 0.02357... : check through the CDF and symmetry instead
  // of a remembered digit string.
  EXPECT_NEAR(beta_ppf(0.1, 0.6, 0.6) + beta_ppf(0.9, 0.6, 0.6), 1.0, 1e-14);
  EXPECT_EQ(beta_ppf(0, 0.6, 0.6), 0.0);
  EXPECT_EQ(beta_ppf(1, 0.6, 0.6), 1.0);
  EXPECT_THROW(beta_ppf(1.5, 0.6, 0.6), Error);
  EXPECT_THROW(regularized_incomplete_beta(0.5, 0, 1), Error);
}

TEST(SamplingSchedules, TorchLinspace) {
  EXPECT_EQ(torch_linspace_f32(1, 0, 5), (std::vector<float>{1.0f, 0.75f, 0.5f, 0.25f, 0.0f}));
  EXPECT_EQ(torch_linspace_f32(3, 7, 1), (std::vector<float>{3.0f}));
  const auto v = torch_linspace_f32(1, 0, 29);
  EXPECT_EQ(v.front(), 1.0f);
  EXPECT_EQ(v.back(), 0.0f);
}

TEST(SamplingSchedules, NamesAndValidation) {
  EXPECT_EQ(parse_scheduler("bfl"), Scheduler::Bfl);
  EXPECT_EQ(parse_scheduler(" Simple "), Scheduler::Simple);
  EXPECT_EQ(scheduler_name(Scheduler::Beta), "Beta");
  try {
    make_schedule("Karras", 10, 4096);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Simple, Beta, Normal, BFL"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_schedule("Simple", 0, 4096), Error);
  EXPECT_THROW(make_schedule("Simple", 10001, 4096), Error);
  EXPECT_THROW(make_schedule("BFL", 10, 0), Error);
  EXPECT_THROW(img2img_window("Simple", 8, 0.0, true, 4096), Error);
  EXPECT_THROW(img2img_window("Simple", 8, 1.5, false, 4096), Error);
  EXPECT_THROW(img2img_window("Simple", 8, std::nan(""), false, 4096), Error);
  EXPECT_THROW(img2img_window("Simple", 9000, 0.5, true, 4096), Error);  // 18000 schedule steps
  for (const auto& name : scheduler_names()) {
    const auto s = make_schedule(name, 20, 4096);
    ASSERT_EQ(s.size(), 21u) << name;
    EXPECT_EQ(s.back(), 0.0f) << name;
    for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i], s[i - 1]) << name << " " << i;
  }
}

}  // namespace
}  // namespace fluxgen::sampling
