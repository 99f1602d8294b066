// T5 encoder: parity with transformers' T5EncoderModel on t5_io.safetensors (no attention mask),
// the key layouts and prefixes real files use, fp8 files loaded as stored, the storage
// conversions with their measured error, prompts of every kind, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "io/safetensors.h"
#include "models/t5/t5_encoder.h"
#include "models/t5/t5_relative_position.h"
#include "tensor/convert.h"
#include "text/t5_tokenizer.h"
#include "text_model_support.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::t5 {
namespace {

using test::error_of;

struct Reference {
  std::shared_ptr<const SafetensorsFile> io = SafetensorsFile::open(test::fixture("t5_io.safetensors"));
  Tensor ids = io->get("in.input_ids");
  Tensor expected = io->get("out.last_hidden_state");
};

double error_vs_reference(T5Encoder& model, const Reference& ref) {
  const Tensor out = model.forward(ref.ids);
  EXPECT_EQ(out.shape(), ref.expected.shape());
  return test::rel_l2(out, ref.expected);
}


TEST(T5Encoder, MatchesTransformersWithoutMask) {
  const Reference ref;
  auto model = T5Encoder::load(open_tensor_store(test::fixture("t5xxl.safetensors")));
  const double err = error_vs_reference(*model, ref);
  std::printf("T5 parity (fp16 file, fp32 compute): %.2e\n", err);
  EXPECT_LT(err, 1e-4);
  // The input has padding after </s>: the reference attends to it (FLUX runs T5 without a mask).
  const auto ids = to_vector(ref.ids);
  EXPECT_EQ(ids.back(), 0);
}

TEST(T5Encoder, InfersTheConfigurationFromShapes) {
  auto bare = test::prefixed_copy(test::fixture("t5xxl.safetensors"), "", /*keep_config=*/false);
  auto model = T5Encoder::load(bare);
  const T5Config& c = model->config();
  EXPECT_EQ(c.d_model, 32);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.d_kv, 8);
  EXPECT_EQ(c.d_ff, 48);
  EXPECT_EQ(c.num_layers, 2);
  EXPECT_EQ(c.vocab_size, 32128);
  EXPECT_TRUE(c.gated_gelu);
  EXPECT_LT(error_vs_reference(*model, Reference()), 1e-4);
  // T5-XXL's real shapes.
  std::map<std::string, Shape> shapes = {{"shared.weight", {32128, 4096}},
                                         {"encoder.block.0.layer.0.SelfAttention.q.weight", {4096, 4096}},
                                         {"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", {32, 64}},
                                         {"encoder.block.0.layer.1.DenseReluDense.wi_0.weight", {10240, 4096}}};
  for (int i = 1; i < 24; ++i) shapes["encoder.block." + std::to_string(i) + ".layer.0.layer_norm.weight"] = {4096};
  const test::ShapeOnlyStore xxl(shapes);
  const T5Config x = infer_t5_config(xxl, *find_t5_encoder(xxl));
  EXPECT_EQ(x.num_layers, 24);
  EXPECT_EQ(x.num_heads, 64);
  EXPECT_EQ(x.d_kv, 64);
  EXPECT_EQ(x.d_ff, 10240);
}

TEST(T5Encoder, LoadsEveryEmbeddingLayoutAndPrefix) {
  const Reference ref;
  for (const char* drop : {"shared.weight", "encoder.embed_tokens.weight"}) {
    auto store = test::prefixed_copy(test::fixture("t5xxl.safetensors"), "");
    auto pruned = std::make_shared<MemoryStore>("pruned", std::map<std::string, Tensor>{},
                                                std::map<std::string, std::string>{{"config", store->metadata("config")}});
    for (const auto& n : store->names())
      if (n != drop) pruned->put(n, store->get(n));
    auto model = T5Encoder::load(pruned);
    EXPECT_LT(error_vs_reference(*model, ref), 1e-4) << "without " << drop;
  }
  for (const char* prefix : {"text_encoders.t5xxl.transformer.", "conditioner.embedders.1.transformer."}) {
    auto store = test::prefixed_copy(test::fixture("t5xxl.safetensors"), prefix);
    auto model = T5Encoder::load(store);
    EXPECT_EQ(model->source().prefix(), prefix);
    EXPECT_LT(error_vs_reference(*model, ref), 1e-4) << prefix;
  }
}

// A t5xxl_fp8_e4m3fn.safetensors-style file (every 2-D weight float8, norms as they were) loads
// as stored: the linear weights stay float8 in memory.
TEST(T5Encoder, LoadsFloat8FilesAsStored) {
  const auto src = open_tensor_store(test::fixture("t5xxl.safetensors"));
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& n : src->names()) {
    const Tensor t = src->get(n);
    tensors.emplace_back(n, t.ndim() == 2 ? convert(t, DType::F8_E4M3, Overflow::Saturate) : t);
  }
  const std::string path = test::temp_dir() + "/t5xxl_fp8_e4m3fn.safetensors";
  write_safetensors(path, tensors, {{"config", src->metadata("config")}});
  auto model = T5Encoder::load(open_tensor_store(path));
  for (auto& [name, lin] : model->linear_layers()) EXPECT_EQ(lin->weight().dtype(), DType::F8_E4M3) << name;
  const double err = error_vs_reference(*model, Reference());
  std::printf("T5 from an fp8-e4m3fn file (all 2-D weights fp8): rel L2 %.2e\n", err);
  EXPECT_LT(err, 0.4);
  EXPECT_GT(err, 1e-3);  // it really ran on float8 values
}

TEST(T5Encoder, StorageConversionsStayCloseToTheReference) {
  const Reference ref;
  struct Case {
    DType dtype;
    double bound;
  };
  // This tiny random model amplifies weight rounding about 4x (unscaled T5 attention over random
  // weights): bf16 ~0.9e-2, fp8-e4m3fn ~0.17, fp8-e5m2 ~0.34, nf4 ~0.6, fp4 ~0.54 measured. The
  // bounds are loose; a broken codec lands at 1 or beyond.
  std::map<DType, double> measured;
  for (const Case& c : {Case{DType::F32, 1e-4}, Case{DType::F16, 1e-4}, Case{DType::BF16, 2e-2},
                        Case{DType::F8_E4M3, 0.35}, Case{DType::F8_E5M2, 0.7}, Case{DType::NF4, 0.9},
                        Case{DType::FP4, 0.9}}) {
    T5LoadOptions opt;
    opt.storage = c.dtype;
    auto model = T5Encoder::load(open_tensor_store(test::fixture("t5xxl.safetensors")), opt);
    for (auto& [name, lin] : model->linear_layers()) ASSERT_EQ(lin->weight().dtype(), c.dtype) << name;
    const double err = error_vs_reference(*model, ref);
    std::printf("T5 linear weights as %-8s rel L2 vs reference %.2e\n", std::string(dtype_name(c.dtype)).c_str(), err);
    EXPECT_LT(err, c.bound) << dtype_name(c.dtype);
    measured[c.dtype] = err;
  }
  EXPECT_LT(measured[DType::BF16], measured[DType::F8_E4M3]);
  EXPECT_LT(measured[DType::F8_E4M3], measured[DType::F8_E5M2]);
}

TEST(T5Encoder, EncodesAnyPromptThroughTheTokenizer) {
  const T5Tokenizer tok = T5Tokenizer::load();
  auto model = T5Encoder::load(open_tensor_store(test::fixture("t5xxl.safetensors")));
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += "word ";
  for (const std::string& prompt : {std::string(), long_prompt, std::string("🐱🐶🔥✨👩‍👩‍👧‍👦🇺🇦"),
                                   std::string("(masterpiece:1.2), a photo of TOK woman")}) {
    const Tensor out = model->forward(tok.encode(prompt));
    ASSERT_EQ(out.shape(), (Shape{1, 512, 32}));
    for (float v : to_vector(out)) ASSERT_TRUE(std::isfinite(v)) << prompt;
  }
}

TEST(T5Encoder, RelativePositionBuckets) {
  // transformers' _relative_position_bucket(bidirectional=True, 32 buckets, max distance 128).
  const std::pair<int64_t, int64_t> cases[] = {{0, 0},   {-1, 1},   {1, 17},   {-7, 7},    {7, 23},   {-8, 8},
                                               {-12, 9}, {-16, 10}, {-32, 12}, {-64, 14},  {-127, 15}, {-128, 15},
                                               {-500, 15}, {200, 31}, {20, 26}};
  for (const auto& [rel, bucket] : cases) EXPECT_EQ(relative_position_bucket(rel, 32, 128), bucket) << rel;
  const Tensor table = Tensor::from_vector({32, 1}, std::vector<float>(32, 0.0f));
  EXPECT_EQ(relative_position_bias(table, 5, 128).shape(), (Shape{1, 1, 5, 5}));
}

TEST(T5Encoder, ReportsErrors) {
  auto model = T5Encoder::load(open_tensor_store(test::fixture("t5xxl.safetensors")));
  EXPECT_NE(error_of([&] { model->forward(std::vector<int32_t>{5, 32128, 1}); })
                .find("token id 32128 at position 1 is outside the vocabulary of 32128"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model->forward(std::vector<int32_t>{5, -1}); }).find("token id -1"), std::string::npos);

  auto wrong = test::prefixed_copy(test::fixture("t5xxl.safetensors"), "");
  wrong->put("encoder.block.1.layer.1.DenseReluDense.wo.weight", Tensor::zeros({48, 32}));
  const std::string e = error_of([&] { T5Encoder::load(wrong); });
  EXPECT_NE(e.find("encoder.block.1.layer.1.DenseReluDense.wo.weight has shape [48, 32], expected [32, 48]"),
            std::string::npos)
      << e;

  auto no_table = std::make_shared<MemoryStore>("no-table");
  auto full = test::prefixed_copy(test::fixture("t5xxl.safetensors"), "");
  for (const auto& n : full->names())
    if (n != "shared.weight" && n != "encoder.embed_tokens.weight") no_table->put(n, full->get(n));
  EXPECT_NE(error_of([&] { T5Encoder::load(no_table); }).find("no token embedding"), std::string::npos);

  full->put("encoder.block.0.layer.0.SelfAttention.q.scale_weight", Tensor::full({1}, 0.5f));
  EXPECT_NE(error_of([&] { T5Encoder::load(full); }).find("scaled fp8"), std::string::npos);
  EXPECT_NE(error_of([] { T5Encoder::load(open_tensor_store(test::fixture("clip_l.safetensors"))); }).find("no T5 encoder"),
            std::string::npos);
}

}  // namespace
}  // namespace fluxgen::t5
