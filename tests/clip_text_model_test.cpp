// CLIP text model: parity with transformers' CLIPTextModel on clip_io.safetensors (last hidden
// state, hidden_states[-2], pooled), all-in-one prefixes, configuration inference, prompts of
// every kind through tokenizer + model, and the errors a user can meet.
#include <gtest/gtest.h>

#include <cmath>

#include "io/safetensors.h"
#include "models/clip/clip_text_model.h"
#include "tensor/convert.h"
#include "text/clip_tokenizer.h"
#include "text_model_support.h"
#include "util/error.h"

namespace fluxgen::clip {
namespace {

using test::error_of;

struct Reference {
  std::shared_ptr<const SafetensorsFile> io = SafetensorsFile::open(test::fixture("clip_io.safetensors"));
  Tensor ids = io->get("in.input_ids");
};

void expect_parity(ClipTextModel& model, const Reference& ref, double tol = 1e-4) {
  const ClipTextOutput out = model.forward(ref.ids);
  const double last = test::rel_l2(out.last_hidden_state, ref.io->get("out.last_hidden_state"));
  const double pen = test::rel_l2(out.penultimate, ref.io->get("out.penultimate"));
  const double pooled = test::rel_l2(out.pooled, ref.io->get("out.pooled"));
  EXPECT_LT(last, tol);
  EXPECT_LT(pen, tol);
  EXPECT_LT(pooled, tol);
  EXPECT_EQ(out.last_hidden_state.shape(), (Shape{1, 77, 32}));
  EXPECT_EQ(out.pooled.shape(), (Shape{1, 32}));
  std::printf("CLIP parity: last_hidden_state %.2e, penultimate %.2e, pooled %.2e\n", last, pen, pooled);
}


TEST(ClipTextModel, MatchesTransformers) {
  const Reference ref;
  auto model = ClipTextModel::load(open_tensor_store(test::fixture("clip_l.safetensors")));
  EXPECT_EQ(model->config().num_attention_heads, 2);  // from the metadata config
  EXPECT_EQ(model->config().num_hidden_layers, 2);
  expect_parity(*model, ref);
  // The fixture's ids are what the tokenizer makes of some prompt: BOS first, EOS padding.
  const auto ids = to_vector(ref.ids);
  EXPECT_EQ(ids[0], 49406);
  EXPECT_EQ(ids[76], 49407);
}

TEST(ClipTextModel, LoadsUnderAllInOnePrefixes) {
  const Reference ref;
  for (const char* prefix : {"text_encoders.clip_l.transformer.", "cond_stage_model.transformer.",
                                   "conditioner.embedders.0.transformer."}) {
    auto store = test::prefixed_copy(test::fixture("clip_l.safetensors"), prefix);
    store->put("model.diffusion_model.img_in.weight", Tensor::zeros({4, 4}));  // other models beside it
    auto model = ClipTextModel::load(store);
    EXPECT_EQ(model->source().prefix(), prefix);
    expect_parity(*model, ref);
  }
}

TEST(ClipTextModel, InfersClipLFromShapes) {
  std::map<std::string, Shape> shapes = {{"text_model.embeddings.token_embedding.weight", {49408, 768}},
                                         {"text_model.embeddings.position_embedding.weight", {77, 768}},
                                         {"text_model.final_layer_norm.weight", {768}}};
  for (int i = 0; i < 12; ++i)
    shapes["text_model.encoder.layers." + std::to_string(i) + ".mlp.fc1.weight"] = {3072, 768};
  const test::ShapeOnlyStore store(shapes);
  const ClipTextConfig c = infer_clip_text_config(store, "");
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.max_position_embeddings, 77);
  EXPECT_EQ(c.hidden_act, "quick_gelu");
  EXPECT_FLOAT_EQ(c.layer_norm_eps, 1e-5f);
  EXPECT_EQ(c.eos_token_id, 2);
  // Without the metadata the tiny model is read as one 64-wide head... of width 32: one head.
  auto bare = test::prefixed_copy(test::fixture("clip_l.safetensors"), "", /*keep_config=*/false);
  EXPECT_EQ(ClipTextModel::load(bare)->config().num_attention_heads, 1);
}

TEST(ClipTextModel, PoolsWhereTransformersDoes) {
  const int64_t ids[] = {49406, 320, 49407, 49407, 500};
  EXPECT_EQ(clip_pooled_position(ids, 5, 2), 2);      // legacy: first position of the largest id
  EXPECT_EQ(clip_pooled_position(ids, 5, 49407), 2);  // first EOS
  EXPECT_EQ(clip_pooled_position(ids, 5, 320), 1);
  EXPECT_EQ(clip_pooled_position(ids, 5, 7), 0);      // absent: position 0, as argmax of all-false
  const int64_t no_eos[] = {49406, 320, 700};
  EXPECT_EQ(clip_pooled_position(no_eos, 3, 2), 0);   // 49406 is the largest
}

TEST(ClipTextModel, EncodesAnyPromptThroughTheTokenizer) {
  const ClipTokenizer tok = ClipTokenizer::load();
  auto model = ClipTextModel::load(open_tensor_store(test::fixture("clip_l.safetensors")));
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += "word ";
  for (const std::string& prompt : {std::string(), long_prompt, std::string("🐱🐶🔥✨👩‍👩‍👧‍👦🇺🇦"),
                                   std::string("Портрет женщины, café")}) {
    const ClipTextOutput out = model->forward(tok.encode(prompt));
    ASSERT_EQ(out.last_hidden_state.shape(), (Shape{1, 77, 32}));
    for (float v : to_vector(out.pooled)) ASSERT_TRUE(std::isfinite(v)) << prompt;
  }
  // A batch of two gives each row what it gives alone.
  const auto a = tok.encode("a photo of a cat"), b = tok.encode("");
  std::vector<float> both(a.begin(), a.end());
  both.insert(both.end(), b.begin(), b.end());
  const ClipTextOutput batch = model->forward(Tensor::from_vector({2, 77}, both));
  const ClipTextOutput single = model->forward(b);
  EXPECT_LT(test::rel_l2(ops::slice(batch.pooled, 0, 1, 2), single.pooled), 1e-6);
}

TEST(ClipTextModel, ConvertsLinearWeightsOnRequest) {
  const Reference ref;
  ClipLoadOptions opt;
  opt.storage = DType::BF16;
  auto model = ClipTextModel::load(open_tensor_store(test::fixture("clip_l.safetensors")), opt);
  EXPECT_EQ(model->linear_layers().size(), 12u);
  for (auto& [name, lin] : model->linear_layers()) EXPECT_EQ(lin->weight().dtype(), DType::BF16) << name;
  EXPECT_EQ(model->linear_layers()[0].first, "text_model.encoder.layers.0.self_attn.q_proj");
  expect_parity(*model, ref, 2e-2);
}

TEST(ClipTextModel, ReportsErrors) {
  auto model = ClipTextModel::load(open_tensor_store(test::fixture("clip_l.safetensors")));
  std::vector<int32_t> ids = {49406, 49408, 49407};
  EXPECT_NE(error_of([&] { model->forward(ids); }).find("token id 49408 at position 1 is outside the vocabulary of 49408"),
            std::string::npos);
  ids = std::vector<int32_t>(78, 320);
  EXPECT_NE(error_of([&] { model->forward(ids); }).find("78 CLIP tokens exceed"), std::string::npos);
  EXPECT_NE(error_of([&] { model->forward(std::vector<int32_t>{}); }).find("[batch, tokens]"), std::string::npos);

  auto wrong = test::prefixed_copy(test::fixture("clip_l.safetensors"), "");
  wrong->put("text_model.encoder.layers.1.self_attn.q_proj.weight", Tensor::zeros({32, 16}));
  const std::string e = error_of([&] { ClipTextModel::load(wrong); });
  EXPECT_NE(e.find("text_model.encoder.layers.1.self_attn.q_proj.weight has shape [32, 16], expected [32, 32]"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of([] { ClipTextModel::load(open_tensor_store(test::fixture("t5xxl.safetensors"))); })
                .find("no CLIP text model"),
            std::string::npos);
}

}  // namespace
}  // namespace fluxgen::clip
