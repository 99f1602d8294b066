// Step caching (models/flux/step_cache.h) on the tiny FLUX fixture: threshold 0 is the uncached
// model bit for bit, a hit really skips the blocks, the first and last steps are exact, and the
// setting travels through the API fields, the CLI and the infotext.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "io/safetensors.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"
#include "models/flux/step_cache.h"
#include "pipeline/generation_settings.h"
#include "pipeline/infotext.h"
#include "test_support.h"

namespace fluxgen {
namespace {

using flux::StepCache;
using flux::StepCacheMode;

struct Fixture {
  std::unique_ptr<flux::FluxModel> model;
  flux::FluxInputs in;
};

Fixture load() {
  const auto io = SafetensorsFile::open(test::fixture("flux_e2e_io.safetensors"));
  Fixture f;
  f.model = flux::FluxModel::load(open_tensor_store(test::fixture("flux_e2e.safetensors")), {});
  f.in = flux::read_flux_inputs(*io);
  return f;
}

const std::vector<float> kSigmas = {1.0f, 0.8f, 0.6f, 0.4f, 0.2f, 0.0f};

// Euler over kSigmas from the fixture's image tokens: x ← x + (σ_next − σ)·v.
Tensor sample(const Fixture& f, StepCache* cache) {
  flux::FluxInputs in = f.in;
  Tensor x = in.img.clone();
  for (size_t i = 0; i + 1 < kSigmas.size(); ++i) {
    in.img = x;
    in.timesteps.assign(in.timesteps.size(), kSigmas[i]);
    const Tensor v = f.model->forward(in, cache);
    Tensor next = Tensor::empty(x.shape());
    for (int64_t j = 0; j < x.numel(); ++j) next.f32()[j] = x.f32()[j] + (kSigmas[i + 1] - kSigmas[i]) * v.f32()[j];
    x = next;
  }
  return x;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(StepCache, ThresholdZeroIsTheUncachedModelBitForBit) {
  const Fixture f = load();
  const Tensor plain = sample(f, nullptr);
  for (StepCacheMode mode : {StepCacheMode::FirstBlock, StepCacheMode::TeaCache}) {
    StepCache cache({mode, 0.0}, kSigmas);
    EXPECT_TRUE(bitwise_equal(sample(f, &cache), plain)) << flux::step_cache_mode_name(mode);
    EXPECT_EQ(cache.cached_calls(), 0);
    EXPECT_EQ(cache.full_calls(), 5);
  }
}

TEST(StepCache, AHitSkipsTheBlocksAndTheEndsStayExact) {
  const Fixture f = load();
  const flux::FluxConfig& c = f.model->config();
  const int64_t blocks = c.depth + c.depth_single_blocks;
  const Tensor plain = sample(f, nullptr);
  for (StepCacheMode mode : {StepCacheMode::FirstBlock, StepCacheMode::TeaCache}) {
    const std::string name = flux::step_cache_mode_name(mode);
    StepCache cache({mode, 1e9}, kSigmas);  // everything that may be reused is
    const Tensor cached = sample(f, &cache);
    // Steps 1 and 5 (σ = 1 and σ = 0.2) are exact; the three between are reused.
    EXPECT_EQ(cache.full_calls(), 2) << name;
    EXPECT_EQ(cache.cached_calls(), 3) << name;
    const int64_t per_hit = mode == StepCacheMode::FirstBlock ? 1 : 0;  // FBCache still runs its first block
    EXPECT_EQ(cache.blocks_run(), 2 * blocks + 3 * per_hit) << name;
    EXPECT_FALSE(bitwise_equal(cached, plain)) << name << ": reusing residuals must change the result";
    EXPECT_LT(test::rel_l2(cached, plain), 1.0) << name;
  }
}

TEST(StepCache, ReusingTheResidualOfIdenticalInputsGivesTheSameOutput) {
  // The same call twice at a middle σ: the second is a hit (its probe did not change), and the
  // cached residual must reproduce the computed output.
  const Fixture f = load();
  for (StepCacheMode mode : {StepCacheMode::FirstBlock, StepCacheMode::TeaCache}) {
    StepCache cache({mode, mode == StepCacheMode::TeaCache ? 0.3 : 1e-6}, kSigmas);
    flux::FluxInputs in = f.in;
    in.timesteps.assign(in.timesteps.size(), 0.6f);
    const Tensor first = f.model->forward(in, &cache);
    const Tensor second = f.model->forward(in, &cache);
    EXPECT_EQ(cache.cached_calls(), 1) << flux::step_cache_mode_name(mode);
    EXPECT_LT(test::rel_l2(second, first), 1e-6) << flux::step_cache_mode_name(mode);
  }
}

TEST(StepCache, NamesThresholdsAndErrors) {
  EXPECT_EQ(flux::parse_step_cache_mode("FBCache"), StepCacheMode::FirstBlock);
  EXPECT_EQ(flux::parse_step_cache_mode("teacache"), StepCacheMode::TeaCache);
  EXPECT_EQ(flux::parse_step_cache_mode("off"), StepCacheMode::Off);
  EXPECT_NE(test::error_of([] { flux::parse_step_cache_mode("magic"); }).find("off, fbcache, teacache"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { StepCache({StepCacheMode::FirstBlock, -1.0}, kSigmas); }).find(">= 0"),
            std::string::npos);
}

TEST(StepCache, ApiFieldsAndOverrideSettingsResolveOnce) {
  GenerationSettings s = resolve_settings(json::parse(R"({"fluxgen_step_cache": "FBCache"})", "test"));
  EXPECT_EQ(s.step_cache, "fbcache");
  EXPECT_EQ(step_cache_settings(s).threshold, flux::default_cache_threshold(StepCacheMode::FirstBlock));
  s = resolve_settings(json::parse(
      R"({"override_settings": {"fluxgen_step_cache": "teacache", "fluxgen_cache_threshold": 0.6}})", "test"));
  EXPECT_EQ(step_cache_settings(s).mode, StepCacheMode::TeaCache);
  EXPECT_EQ(step_cache_settings(s).threshold, 0.6);
  EXPECT_EQ(step_cache_settings(resolve_settings(json::parse("{}", "test"))).mode, StepCacheMode::Off);
  try {
    resolve_settings(json::parse(R"({"fluxgen_step_cache": "sometimes"})", "test"));
    FAIL() << "a bad step cache was accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "fluxgen_step_cache");
  }
  try {
    resolve_settings(json::parse(R"({"fluxgen_cache_threshold": -2})", "test"));
    FAIL() << "a negative threshold was accepted";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "fluxgen_cache_threshold");
  }
}

TEST(StepCache, GenerateWritesTheCacheIntoTheInfotextAndReportsTheReuse) {
  FLUXGEN_REQUIRE_CLI();
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  const std::string models = dir + "/models", out = dir + "/out";
  fs::create_directories(models + "/Stable-diffusion");
  fs::create_directories(models + "/VAE");
  fs::create_directories(models + "/text_encoder");
  fs::create_symlink(test::fixture("flux_e2e.safetensors"), models + "/Stable-diffusion/tiny.safetensors");
  fs::create_symlink(test::fixture("ae.safetensors"), models + "/VAE/ae.safetensors");
  fs::create_symlink(test::fixture("clip_l.safetensors"), models + "/text_encoder/clip_l.safetensors");
  fs::create_symlink(test::fixture("t5xxl.safetensors"), models + "/text_encoder/t5xxl_fp16.safetensors");
  const auto r = test::run_fluxgen({"generate", "--models-dir", models, "--prompt", "a fox", "--width", "32",
                                    "--height", "32", "--steps", "8", "--seed", "3", "--step-cache", "fbcache",
                                    "--cache-threshold", "9", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("step cache reused 6 of 8 transformer calls"), std::string::npos) << r.out << r.err;
  std::string png;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".png") png = e.path().string();
  ASSERT_FALSE(png.empty());
  const auto info = test::run_fluxgen({"png-info", png});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const Infotext parsed = parse_infotext(info.out);
  std::string mode, threshold;
  for (const auto& [k, v] : parsed.params) {
    if (k == "Step cache") mode = v;
    if (k == "Step cache threshold") threshold = v;
  }
  EXPECT_EQ(mode, "fbcache");
  EXPECT_EQ(threshold, "9");
}

}  // namespace
}  // namespace fluxgen
