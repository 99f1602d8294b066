// The parameter lists the benchmarks build random models from (models/*/..._parameters.h) name and
// shape every tensor exactly as the real files do: checked against the tiny fixtures, which the
// official implementations wrote, and by loading a random model of each list.
#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "models/clip/clip_parameters.h"
#include "models/clip/clip_text_model.h"
#include "models/t5/t5_encoder.h"
#include "models/t5/t5_parameters.h"
#include "models/vae/autoencoder.h"
#include "models/vae/vae_parameters.h"
#include "test_support.h"

namespace fluxgen {
namespace {

std::map<std::string, Shape> shapes_of(const TensorStore& store) {
  std::map<std::string, Shape> s;
  for (const auto& n : store.names()) s[n] = store.shape(n);
  return s;
}

// A store of zeros of these shapes in F32 (the loaders check names and shapes).
std::shared_ptr<MemoryStore> zeros(const std::map<std::string, Shape>& shapes) {
  auto store = std::make_shared<MemoryStore>("zeros");
  for (const auto& [name, shape] : shapes) {
    Tensor t = Tensor::empty(shape);
    std::fill(t.f32(), t.f32() + t.numel(), 0.0f);
    store->put(name, t);
  }
  return store;
}

TEST(ModelParameters, T5MatchesTheFixtureAndLoads) {
  const auto file = open_tensor_store(test::fixture("t5xxl.safetensors"));
  t5::T5Config c;
  c.apply_json(json::parse(file->metadata("config")));
  auto expected = shapes_of(*file);
  expected.erase("encoder.embed_tokens.weight");  // the copy of shared.weight some files carry
  EXPECT_EQ(t5::t5_parameter_shapes(c), expected);
  const auto full = t5::t5_parameter_shapes(t5::T5Config{});  // T5-XXL: 4.76 G parameters
  int64_t n = 0;
  for (const auto& [name, s] : full) n += shape_numel(s);
  EXPECT_EQ(n, 4762310656);
  EXPECT_NO_THROW(t5::T5Encoder::load(zeros(t5::t5_parameter_shapes(c))));
}

TEST(ModelParameters, ClipMatchesTheFixtureAndLoads) {
  const auto file = open_tensor_store(test::fixture("clip_l.safetensors"));
  clip::ClipTextConfig c;
  c.apply_json(json::parse(file->metadata("config")));
  EXPECT_EQ(clip::clip_parameter_shapes(c), shapes_of(*file));
  EXPECT_NO_THROW(clip::ClipTextModel::load(zeros(clip::clip_parameter_shapes(c))));
}

TEST(ModelParameters, AutoencoderMatchesTheFixtureAndLoads) {
  const auto file = open_tensor_store(test::fixture("ae.safetensors"));
  vae::VaeConfig c;
  c.ch = 32;
  c.ch_mult = {1, 2};
  c.num_res_blocks = 1;
  EXPECT_EQ(vae::vae_parameter_shapes(c), shapes_of(*file));
  // FLUX.1's ae.safetensors is 335,304,388 bytes of fp32 weights behind a header of a few tens of KB.
  const auto full = vae::vae_parameter_shapes(vae::VaeConfig{});
  int64_t n = 0;
  for (const auto& [name, s] : full) n += shape_numel(s);
  EXPECT_GT(335304388 - 4 * n, 8000);
  EXPECT_LT(335304388 - 4 * n, 48000);
  const auto ae = vae::AutoEncoder::load(zeros(full));
  EXPECT_EQ(ae->config().ch, 128);
  EXPECT_EQ(ae->config().downscale(), 8);
}

// The GPU check's models folder (bench/random_models), written at the tiny widths, drives the whole
// `generate` path, and its end-of-run figures come out as JSON.
TEST(RandomModels, TheFolderGeneratesAndReportsItsTimings) {
  FLUXGEN_REQUIRE_CLI();
  if (test::random_models_binary().empty()) GTEST_SKIP() << "the benchmarks were not built";
  const std::string dir = test::temp_dir();
  auto r = test::run_program(test::random_models_binary(), {"--out", dir + "/models", "--size", "tiny", "--t5", "fp8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_program(test::random_models_binary(), {"--out", dir + "/models", "--size", "huge"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--size is full or tiny"), std::string::npos) << r.err;
  r = test::run_fluxgen({"generate", "--models-dir", dir + "/models", "--prompt", "a cat", "--width", "64", "--height",
                         "64", "--steps", "3", "--storage", "nf4", "--output", dir + "/out", "--timings", dir + "/t.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("3 steps"), std::string::npos) << r.err;
  const json::Value t = json::parse(read_text_file(dir + "/t.json"));
  EXPECT_EQ(t.at("steps").as_int(), 3);
  EXPECT_GT(t.at("seconds_per_step").as_number(), 0.0);
  EXPECT_GE(t.at("total_s").as_number(), t.at("first_step_after_s").as_number());
  EXPECT_EQ(t.at("device").as_string(), "cpu");
}

}  // namespace
}  // namespace fluxgen
