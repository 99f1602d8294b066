// LoRA parity with the fixtures' references (W + 0.8·α/r·up·down in BFL and diffusers layouts),
// in merged and online modes, plus the naming, validation and switching rules.
#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "lora/lora_request.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::lora {
namespace {


struct Fixture {
  std::shared_ptr<const SafetensorsFile> io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  std::unique_ptr<flux::FluxModel> model;
  std::unique_ptr<TargetResolver> resolver;
  std::unique_ptr<LoraPatcher> patcher;

  explicit Fixture(const std::string& weights, std::optional<DType> storage = DType::F32) {
    flux::FluxLoadOptions opt;
    opt.storage = storage;
    model = flux::FluxModel::load(open_tensor_store(test::fixture(weights)), opt);
    resolver = std::make_unique<TargetResolver>(model->config());
    patcher = std::make_unique<LoraPatcher>(Component::Transformer, model->linear_layers(), model->source());
  }
  Tensor forward() { return model->forward(flux::read_flux_inputs(*io)); }
  double error(const std::string& expected) { return test::rel_l2(forward(), io->get(expected)); }
};

TEST(Lora, KohyaAndPeftMatchReferenceInBothModesAndLayouts) {
  for (const std::string weights : {"flux_bfl.safetensors", "flux_diffusers.safetensors"}) {
    Fixture f(weights);
    const LoraSet kohya = read_lora_file(test::fixture("flux_lora_kohya.safetensors"), *f.resolver);
    const LoraSet peft = read_lora_file(test::fixture("flux_lora_peft.safetensors"), *f.resolver);
    EXPECT_TRUE(kohya.warnings.empty()) << kohya.warnings.front();
    EXPECT_TRUE(peft.warnings.empty()) << peft.warnings.front();
    for (LoraMode mode : {LoraMode::Merged, LoraMode::Online}) {
      const char* m = mode == LoraMode::Merged ? "merged" : "online";
      f.patcher->apply({{&kohya, 0.8f}}, mode);
      EXPECT_LT(f.error("out.pred_lora_kohya"), 1e-4) << weights << " " << m;
      f.patcher->apply({{&peft, 0.8f}}, mode);
      EXPECT_LT(f.error("out.pred_lora_peft"), 1e-4) << weights << " " << m;
    }
  }
}

TEST(Lora, SwitchingLorasNeverReloadsTheModel) {
  Fixture f("flux_bfl.safetensors");
  const LoraSet kohya = read_lora_file(test::fixture("flux_lora_kohya.safetensors"), *f.resolver);
  for (LoraMode mode : {LoraMode::Merged, LoraMode::Online}) {
    f.patcher->apply({{&kohya, 0.8f}}, mode);
    EXPECT_LT(f.error("out.pred_lora_kohya"), 1e-4);
    f.patcher->apply({}, mode);  // back to the base model
    EXPECT_LT(f.error("out.pred"), 1e-4);
    // Two LoRAs at once add up: 0.5 + 0.3 of the same file is 0.8 of it.
    f.patcher->apply({{&kohya, 0.5f}, {&kohya, 0.3f}}, mode);
    EXPECT_LT(f.error("out.pred_lora_kohya"), 1e-4);
  }
  // From merged to online and back again.
  f.patcher->apply({{&kohya, 0.8f}}, LoraMode::Merged);
  f.patcher->apply({{&kohya, 0.8f}}, LoraMode::Online);
  EXPECT_LT(f.error("out.pred_lora_kohya"), 1e-4);
  f.patcher->apply({}, LoraMode::Merged);
  EXPECT_LT(f.error("out.pred"), 1e-4);
}

// The kohya fixture re-keyed in BFL/ComfyUI naming (diffusion_model.<module>.lora_A/lora_B + alpha).
std::shared_ptr<MemoryStore> as_bfl_naming(const TensorStore& kohya, const flux::FluxModel& model) {
  auto out = std::make_shared<MemoryStore>("bfl_naming_lora.safetensors");
  auto linears = const_cast<flux::FluxModel&>(model).linear_layers();
  for (const auto& [module, lin] : linears) {
    std::string k = "lora_unet_" + module;
    for (char& c : k)
      if (c == '.') c = '_';
    if (!kohya.contains(k + ".lora_down.weight")) continue;
    out->put("diffusion_model." + module + ".lora_A.weight", kohya.get(k + ".lora_down.weight"));
    out->put("diffusion_model." + module + ".lora_B.weight", kohya.get(k + ".lora_up.weight"));
    out->put("diffusion_model." + module + ".alpha", kohya.get(k + ".alpha"));
  }
  return out;
}

TEST(Lora, BflComfyNamingMatchesKohya) {
  Fixture f("flux_bfl.safetensors");
  const auto kohya_store = open_tensor_store(test::fixture("flux_lora_kohya.safetensors"));
  const auto bfl_store = as_bfl_naming(*kohya_store, *f.model);
  ASSERT_GT(bfl_store->names().size(), 10u);
  const LoraSet set = read_lora(*bfl_store, *f.resolver);
  f.patcher->apply({{&set, 0.8f}}, LoraMode::Online);
  EXPECT_LT(f.error("out.pred_lora_kohya"), 1e-4);
}

TEST(Lora, MergedLowBitLosesMoreOfTheEffectThanOnline) {
  // The "LoRA too subtle" effect: merging into NF4 re-quantizes the small update away.
  Fixture exact("flux_bfl.safetensors");
  const LoraSet kohya = read_lora_file(test::fixture("flux_lora_kohya.safetensors"), *exact.resolver);
  const Tensor base = exact.forward();
  exact.patcher->apply({{&kohya, 0.8f}}, LoraMode::Online);
  const Tensor with = exact.forward();
  const Tensor effect = ops::sub(with, base);
  for (DType dt : {DType::NF4, DType::F8_E4M3}) {
    Fixture q("flux_bfl.safetensors", dt);
    const Tensor q_base = q.forward();
    double err[2];
    for (LoraMode mode : {LoraMode::Merged, LoraMode::Online}) {
      q.patcher->apply({{&kohya, 0.8f}}, mode);
      err[mode == LoraMode::Online] = test::rel_l2(ops::sub(q.forward(), q_base), effect);
    }
    std::printf("%s: LoRA effect error merged %.3f online %.3f\n", std::string(dtype_name(dt)).c_str(), err[0], err[1]);
    EXPECT_LT(err[1], err[0]) << dtype_name(dt);
  }
}

TEST(Lora, ParseArgument) {
  EXPECT_EQ(parse_lora_argument("me.safetensors:0.8").path, "me.safetensors");
  EXPECT_FLOAT_EQ(parse_lora_argument("me.safetensors:0.8").multiplier, 0.8f);
  EXPECT_FLOAT_EQ(parse_lora_argument("me.safetensors").multiplier, 1.0f);
  EXPECT_EQ(parse_lora_argument("C:/loras/me.safetensors:-0.5").path, "C:/loras/me.safetensors");
  EXPECT_EQ(parse_lora_argument("dir:with:colons/x.safetensors").path, "dir:with:colons/x.safetensors");
  EXPECT_THROW(parse_lora_argument(":0.5"), Error);
  EXPECT_THROW(parse_lora_argument("x.safetensors:1e9"), Error);
}

TEST(Lora, ResolverKnowsEveryNaming) {
  flux::FluxConfig c;  // FLUX.1-dev
  const TargetResolver r(c);
  auto check_target = [&](const std::string& key, Component comp, const std::string& module, int64_t row) {
    const auto t = r.resolve(key);
    ASSERT_TRUE(t) << key;
    EXPECT_EQ(t->component, comp) << key;
    EXPECT_EQ(t->module, module) << key;
    EXPECT_EQ(t->row_begin, row) << key;
  };
  check_target("lora_unet_double_blocks_0_img_attn_qkv", Component::Transformer, "double_blocks.0.img_attn.qkv", 0);
  check_target("lora_unet_single_blocks_37_linear1", Component::Transformer, "single_blocks.37.linear1", 0);
  check_target("diffusion_model.double_blocks.18.txt_mlp.2", Component::Transformer, "double_blocks.18.txt_mlp.2", 0);
  check_target("transformer.transformer_blocks.0.attn.to_k", Component::Transformer, "double_blocks.0.img_attn.qkv", 3072);
  check_target("transformer.transformer_blocks.3.attn.add_v_proj", Component::Transformer, "double_blocks.3.txt_attn.qkv", 6144);
  check_target("transformer.single_transformer_blocks.2.proj_mlp", Component::Transformer, "single_blocks.2.linear1", 9216);
  check_target("lora_transformer_single_transformer_blocks_2_attn_to_v", Component::Transformer, "single_blocks.2.linear1", 6144);
  check_target("transformer.proj_out", Component::Transformer, "final_layer.linear", 0);
  check_target("transformer.single_transformer_blocks.5.proj_out", Component::Transformer, "single_blocks.5.linear2", 0);
  check_target("lora_te1_text_model_encoder_layers_11_self_attn_out_proj", Component::ClipL,
               "text_model.encoder.layers.11.self_attn.out_proj", 0);
  check_target("lora_te1_text_model_encoder_layers_0_mlp_fc2", Component::ClipL, "text_model.encoder.layers.0.mlp.fc2", 0);
  check_target("lora_te2_encoder_block_23_layer_1_DenseReluDense_wi_0", Component::T5,
               "encoder.block.23.layer.1.DenseReluDense.wi_0", 0);
  EXPECT_FALSE(r.resolve("lora_unet_input_blocks_1_1_proj_in"));  // an SDXL LoRA
}

std::shared_ptr<MemoryStore> store_with(const std::string& name, const std::vector<std::string>& keys) {
  auto s = std::make_shared<MemoryStore>(name);
  for (const auto& k : keys) s->put(k, Tensor::zeros({4, 96}));
  return s;
}

TEST(Lora, UnsupportedKindsAndUnmatchedKeysAreNamed) {
  Fixture f("flux_bfl.safetensors");
  // Only LoKr: an error naming the kind.
  try {
    read_lora(*store_with("lokr.safetensors", {"lora_unet_double_blocks_0_img_attn_qkv.lokr_w1",
                                               "lora_unet_double_blocks_0_img_attn_qkv.lokr_w2"}),
              *f.resolver);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LoKr"), std::string::npos) << e.what();
  }
  // An SDXL LoRA: nothing matches.
  auto sdxl = std::make_shared<MemoryStore>("sdxl.safetensors");
  sdxl->put("lora_unet_input_blocks_1_1_proj_in.lora_down.weight", Tensor::zeros({4, 320}));
  sdxl->put("lora_unet_input_blocks_1_1_proj_in.lora_up.weight", Tensor::zeros({320, 4}));
  EXPECT_THROW(read_lora(*sdxl, *f.resolver), Error);
  // Plain modules plus a LoHa and an unknown module: usable, with warnings for both.
  auto mixed = std::make_shared<MemoryStore>("mixed.safetensors");
  mixed->put("lora_unet_double_blocks_0_img_attn_proj.lora_down.weight", Tensor::zeros({4, 96}));
  mixed->put("lora_unet_double_blocks_0_img_attn_proj.lora_up.weight", Tensor::zeros({96, 4}));
  mixed->put("lora_unet_double_blocks_0_img_mlp_0.hada_w1_a", Tensor::zeros({4, 96}));
  mixed->put("lora_unet_input_blocks_1_1_proj_in.lora_down.weight", Tensor::zeros({4, 320}));
  mixed->put("lora_unet_input_blocks_1_1_proj_in.lora_up.weight", Tensor::zeros({320, 4}));
  const LoraSet set = read_lora(*mixed, *f.resolver);
  EXPECT_EQ(set.targets.size(), 1u);
  ASSERT_EQ(set.warnings.size(), 2u);
  EXPECT_NE(join(set.warnings, "|").find("LoHa"), std::string::npos);
  EXPECT_NE(join(set.warnings, "|").find("lora_unet_input_blocks_1_1_proj_in"), std::string::npos);
}

TEST(Lora, MisShapedLoraIsAnErrorNamingTheKey) {
  Fixture f("flux_bfl.safetensors");
  auto bad = std::make_shared<MemoryStore>("bad.safetensors");
  bad->put("lora_unet_double_blocks_0_img_attn_proj.lora_down.weight", Tensor::zeros({4, 64}));
  bad->put("lora_unet_double_blocks_0_img_attn_proj.lora_up.weight", Tensor::zeros({96, 4}));
  const LoraSet set = read_lora(*bad, *f.resolver);
  try {
    f.patcher->apply({{&set, 1.0f}}, LoraMode::Online);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lora_unet_double_blocks_0_img_attn_proj"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[96, 96]"), std::string::npos) << e.what();
  }
  // Down without up.
  auto half = std::make_shared<MemoryStore>("half.safetensors");
  half->put("lora_unet_double_blocks_0_img_attn_proj.lora_down.weight", Tensor::zeros({4, 96}));
  EXPECT_THROW(read_lora(*half, *f.resolver), Error);
}

}  // namespace
}  // namespace fluxgen::lora
