// FLUX transformer parity with black-forest-labs/flux and diffusers (fixtures/flux_io.safetensors).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "io/bnb_prequantized_store.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"
#include "models/flux/latent_packing.h"
#include "tensor/bnb4.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using flux::FluxInputs;
using flux::FluxLoadOptions;
using flux::FluxModel;


double forward_error(const std::string& weights, std::optional<DType> storage, const std::string& io_name,
                     const std::string& expected) {
  const auto io = SafetensorsFile::open(test::fixture(io_name));
  FluxLoadOptions opt;
  opt.storage = storage;
  auto model = FluxModel::load(open_tensor_store(test::fixture(weights)), opt);
  return test::rel_l2(model->forward(flux::read_flux_inputs(*io)), io->get(expected));
}

TEST(FluxModel, BflLayoutMatchesReferenceInFp32) {
  EXPECT_LT(forward_error("flux_bfl.safetensors", DType::F32, "flux_io.safetensors", "out.pred"), 1e-4);
}

TEST(FluxModel, FileDtypeMatchesReference) {
  // The fixture weights are bf16; computing from them as stored is exact in fp32 too.
  EXPECT_LT(forward_error("flux_bfl.safetensors", std::nullopt, "flux_io.safetensors", "out.pred"), 1e-4);
}

TEST(FluxModel, DiffusersLayoutMatchesDiffusersReference) {
  EXPECT_LT(forward_error("flux_diffusers.safetensors", DType::F32, "flux_io.safetensors", "out.pred_diffusers"), 1e-4);
  EXPECT_LT(forward_error("flux_diffusers.safetensors", DType::F32, "flux_io.safetensors", "out.pred"), 1e-4);
}

TEST(FluxModel, EndToEndFixtureModelMatches) {
  EXPECT_LT(forward_error("flux_e2e.safetensors", DType::F32, "flux_e2e_io.safetensors", "out.pred"), 1e-4);
}

TEST(FluxModel, StorageDtypesStayCloseToReference) {
  // Loose bounds: the table of exact numbers is in bench/RESULTS.md (flux_storage_error_bench).
  const std::vector<std::pair<DType, double>> bounds = {
      {DType::BF16, 2e-2}, {DType::F16, 5e-3}, {DType::F8_E4M3, 0.15}, {DType::F8_E5M2, 0.3},
      {DType::NF4, 0.4},   {DType::FP4, 0.6}};
  for (const auto& [dt, bound] : bounds) {
    const double err = forward_error("flux_bfl.safetensors", dt, "flux_io.safetensors", "out.pred");
    std::printf("storage %-8s rel L2 %.3e\n", std::string(dtype_name(dt)).c_str(), err);
    EXPECT_LT(err, bound) << dtype_name(dt);
    EXPECT_GT(err, 0.0) << dtype_name(dt);
  }
}

// The fixture weights re-keyed with a prefix, as all-in-one checkpoints carry them.
std::shared_ptr<MemoryStore> prefixed_store(const std::string& file, const std::string& prefix) {
  const auto src = open_tensor_store(test::fixture(file));
  auto store = std::make_shared<MemoryStore>("all-in-one.safetensors", std::map<std::string, Tensor>{},
                                             std::map<std::string, std::string>{{"config", src->metadata("config")}});
  for (const auto& n : src->names()) store->put(prefix + n, src->get(n));
  store->put("vae.decoder.conv_in.weight", Tensor::zeros({4, 16, 3, 3}));
  return store;
}

TEST(FluxModel, AllInOnePrefixLoads) {
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  FluxLoadOptions opt;
  opt.storage = DType::F32;
  for (const std::string prefix : {"model.diffusion_model.", "diffusion_model."}) {
    auto model = FluxModel::load(prefixed_store("flux_bfl.safetensors", prefix), opt);
    EXPECT_LT(test::rel_l2(model->forward(flux::read_flux_inputs(*io)), io->get("out.pred")), 1e-4) << prefix;
  }
}

// Each Linear takes its name from the key it was loaded from (one spelling of the names): the
// same BFL names from a plain file, under an all-in-one prefix and from the diffusers layout, each
// naming a weight of the BFL file, every linear weight of which is named once.
TEST(FluxModel, LinearLayersAreNamedByTheirCheckpointKeys) {
  const auto bfl = open_tensor_store(test::fixture("flux_bfl.safetensors"));
  std::set<std::string> expected;
  for (const auto& n : bfl->names())
    if (n.size() > 7 && n.substr(n.size() - 7) == ".weight" && bfl->shape(n).size() == 2) expected.insert(n.substr(0, n.size() - 7));
  ASSERT_GT(expected.size(), 10u);
  FluxLoadOptions opt;
  for (const auto& [what, store] : std::vector<std::pair<std::string, std::shared_ptr<const TensorStore>>>{
           {"bfl", bfl},
           {"all-in-one", prefixed_store("flux_bfl.safetensors", "model.diffusion_model.")},
           {"diffusers", open_tensor_store(test::fixture("flux_diffusers.safetensors"))}}) {
    auto model = FluxModel::load(store, opt);
    std::set<std::string> names;
    for (const auto& [name, layer] : model->linear_layers()) {
      EXPECT_TRUE(names.insert(name).second) << what << ": " << name << " twice";
      EXPECT_EQ(layer->weight().dim(0), bfl->shape(name + ".weight")[0]) << what << ": " << name;
    }
    EXPECT_EQ(names, expected) << what;
  }
}

// Builds Forge's bnb pre-quantized layout (QuantState.as_dict(packed=True)) for every block linear.
std::shared_ptr<TensorStore> bnb_prequantized_copy(const std::string& file, DType format) {
  const auto src = open_tensor_store(test::fixture(file));
  // axes_dim cannot be inferred from shapes: keep the fixture's config.
  auto store = std::make_shared<MemoryStore>("flux1-dev-bnb-nf4-test.safetensors", std::map<std::string, Tensor>{},
                                             std::map<std::string, std::string>{{"config", src->metadata("config")}});
  const std::string type = format == DType::NF4 ? "nf4" : "fp4";
  for (const auto& n : src->names()) {
    const Tensor t = src->get(n);
    const bool block_linear = (n.rfind("double_blocks.", 0) == 0 || n.rfind("single_blocks.", 0) == 0) &&
                              t.ndim() == 2 && n.size() > 7 && n.substr(n.size() - 7) == ".weight";
    if (!block_linear) {
      store->put(n, t);
      continue;
    }
    const Tensor q = convert(t, format);
    store->put(n, Tensor::wrap({(t.numel() + 1) / 2, 1}, DType::U8, q.raw_data(), q.nbytes(), q.storage()));
    store->put(n + ".absmax", q.absmax());
    const auto& code = bnb::code_table(format);
    store->put(n + ".quant_map", Tensor::from_vector({16}, std::vector<float>(code.begin(), code.end())));
    const std::string state = "{\"quant_type\": \"" + type + "\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [" +
                              std::to_string(t.dim(0)) + ", " + std::to_string(t.dim(1)) + "]}";
    Tensor js = Tensor::empty({static_cast<int64_t>(state.size())}, DType::U8);
    std::copy(state.begin(), state.end(), js.data<char>());
    store->put(n + ".quant_state.bitsandbytes__" + type, js);
  }
  return wrap_bnb_prequantized(store);
}

TEST(FluxModel, BnbPrequantizedFileIsUsedWithoutRequantizing) {
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  for (DType format : {DType::NF4, DType::FP4}) {
    auto pre = FluxModel::load(bnb_prequantized_copy("flux_bfl.safetensors", format), FluxLoadOptions{});
    FluxLoadOptions q;
    q.storage = format;
    auto ours = FluxModel::load(open_tensor_store(test::fixture("flux_bfl.safetensors")), q);
    // Same codes, same scales: the two forwards must agree exactly.
    EXPECT_EQ(test::max_abs_diff(pre->forward(flux::read_flux_inputs(*io)), ours->forward(flux::read_flux_inputs(*io))), 0.0);
    EXPECT_EQ(pre->weight_usage().count(std::string(dtype_name(format))), 1u);
    // Asking for the same storage again must not re-quantize (it would be identical, but the
    // tensor must be the file's own bytes).
    auto again = FluxModel::load(bnb_prequantized_copy("flux_bfl.safetensors", format), q);
    EXPECT_EQ(test::max_abs_diff(again->forward(flux::read_flux_inputs(*io)), ours->forward(flux::read_flux_inputs(*io))), 0.0);
  }
}

TEST(FluxModel, MissingTensorIsNamed) {
  const auto src = open_tensor_store(test::fixture("flux_bfl.safetensors"));
  auto store = std::make_shared<MemoryStore>("broken.safetensors");
  for (const auto& n : src->names())
    if (n != "double_blocks.1.txt_mlp.2.weight") store->put(n, src->get(n));
  try {
    FluxModel::load(store, FluxLoadOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.safetensors: tensor double_blocks.1.txt_mlp.2.weight is missing"),
              std::string::npos)
        << e.what();
  }
}

TEST(FluxModel, MisShapedTensorNamesBothShapes) {
  const auto src = open_tensor_store(test::fixture("flux_bfl.safetensors"));
  auto store = std::make_shared<MemoryStore>("broken.safetensors");
  for (const auto& n : src->names()) store->put(n, src->get(n));
  store->put("double_blocks.1.img_mlp.2.weight", Tensor::zeros({96, 96}, DType::BF16));
  try {
    FluxModel::load(store, FluxLoadOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor double_blocks.1.img_mlp.2.weight has shape [96, 96], expected [96, 384]"),
              std::string::npos)
        << e.what();
  }
}

TEST(FluxModel, ModelConfigOverrideIsApplied) {
  const json::Value bad = json::parse(R"({"axes_dim": [8, 8, 8]})");
  FluxLoadOptions opt;
  opt.config_override = &bad;
  EXPECT_THROW(FluxModel::load(open_tensor_store(test::fixture("flux_bfl.safetensors")), opt), Error);
  const json::Value good = json::parse(R"({"axes_dim": [16, 8, 8]})");
  opt.config_override = &good;
  auto model = FluxModel::load(open_tensor_store(test::fixture("flux_bfl.safetensors")), opt);
  EXPECT_EQ(model->config().axes_dim, (std::vector<int64_t>{16, 8, 8}));
}

TEST(FluxLatentPacking, PackUnpackRoundTripAndLayout) {
  std::vector<float> v(2 * 16 * 4 * 6);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  const Tensor latent = Tensor::from_vector({2, 16, 4, 6}, v);
  const Tensor tokens = flux::pack_latent(latent);
  ASSERT_EQ(tokens.shape(), (Shape{2, 6, 64}));
  // token (h=1, w=2) channel c=3, ph=1, pw=0 is latent[b, 3, 3, 4]
  EXPECT_EQ(tokens.f32()[(1 * 6 + 1 * 3 + 2) * 64 + 3 * 4 + 1 * 2 + 0], latent.f32()[((1 * 16 + 3) * 4 + 3) * 6 + 4]);
  EXPECT_EQ(test::max_abs_diff(flux::unpack_latent(tokens, 4, 6), latent), 0.0);
  const Tensor ids = flux::image_ids(1, 4, 6);
  EXPECT_EQ(ids.f32()[(1 * 3 + 2) * 3 + 1], 1.0f);
  EXPECT_EQ(ids.f32()[(1 * 3 + 2) * 3 + 2], 2.0f);
}

}  // namespace
}  // namespace fluxgen
