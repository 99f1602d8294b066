// FLUX autoencoder parity with BFL's AutoEncoder (fixtures/ae_io.safetensors), the diffusers
// layout, and tiled processing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <regex>

#include "io/safetensors.h"
#include "models/vae/autoencoder.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::vae {
namespace {

struct AeFixture {
  std::shared_ptr<const SafetensorsFile> io = SafetensorsFile::open(test::fixture("ae_io.safetensors"));
  Tensor image = to_f32(io->get("in.image"));
  Tensor latent = to_f32(io->get("in.latent"));
};

TEST(Autoencoder, EncodeAndDecodeMatchReference) {
  AeFixture f;
  const auto ae = AutoEncoder::load(open_tensor_store(test::fixture("ae.safetensors")));
  EXPECT_EQ(ae->config().downscale(), 2);  // the tiny fixture has one downsampling level
  EXPECT_LT(test::rel_l2(ae->encode(f.image), f.io->get("out.latent")), 1e-4);
  EXPECT_LT(test::rel_l2(ae->decode(f.latent), f.io->get("out.image")), 1e-4);
}

// The fixture re-keyed in diffusers' AutoencoderKL naming, written independently of the loader's
// mapping (decoder levels numbered from the lowest resolution; attention as Linear [C, C]).
std::shared_ptr<MemoryStore> as_diffusers(const TensorStore& bfl, int levels) {
  auto out = std::make_shared<MemoryStore>("diffusers-vae", std::map<std::string, Tensor>{},
                                           std::map<std::string, std::string>{{"config", bfl.metadata("config")}});
  const std::vector<std::pair<std::regex, std::string>> rules = {
      {std::regex(R"(^(encoder|decoder)\.mid\.block_1\.(.*))"), "$1.mid_block.resnets.0.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.block_2\.(.*))"), "$1.mid_block.resnets.1.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.attn_1\.norm\.(.*))"), "$1.mid_block.attentions.0.group_norm.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.attn_1\.q\.(.*))"), "$1.mid_block.attentions.0.to_q.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.attn_1\.k\.(.*))"), "$1.mid_block.attentions.0.to_k.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.attn_1\.v\.(.*))"), "$1.mid_block.attentions.0.to_v.$2"},
      {std::regex(R"(^(encoder|decoder)\.mid\.attn_1\.proj_out\.(.*))"), "$1.mid_block.attentions.0.to_out.0.$2"},
      {std::regex(R"(^(encoder|decoder)\.norm_out\.(.*))"), "$1.conv_norm_out.$2"},
      {std::regex(R"(^encoder\.down\.(\d+)\.block\.(\d+)\.(.*))"), "encoder.down_blocks.$1.resnets.$2.$3"},
      {std::regex(R"(^encoder\.down\.(\d+)\.downsample\.(.*))"), "encoder.down_blocks.$1.downsamplers.0.$2"},
  };
  for (const auto& name : bfl.names()) {
    std::string n = name;
    for (const auto& [re, rep] : rules) n = std::regex_replace(n, re, rep);
    std::smatch m;
    static const std::regex up(R"(^decoder\.up\.(\d+)\.(block|upsample)\.(.*))");
    if (std::regex_match(name, m, up)) {
      const int level = levels - 1 - std::stoi(m[1]);
      n = "decoder.up_blocks." + std::to_string(level) + (m[2] == "block" ? ".resnets." : ".upsamplers.0.") + m[3].str();
    }
    n = std::regex_replace(n, std::regex(R"(nin_shortcut)"), "conv_shortcut");
    Tensor t = bfl.get(name);
    if (n.find("attentions.0.to_") != std::string::npos && t.ndim() == 4) t = t.reshape({t.dim(0), t.dim(1)});
    out->put(n, t);
  }
  return out;
}

TEST(Autoencoder, DiffusersLayoutMatchesReference) {
  AeFixture f;
  const auto bfl = open_tensor_store(test::fixture("ae.safetensors"));
  const auto diff = as_diffusers(*bfl, 2);
  ASSERT_TRUE(diff->contains("decoder.up_blocks.0.upsamplers.0.conv.weight"));
  const auto ae = AutoEncoder::load(diff);
  EXPECT_LT(test::rel_l2(ae->encode(f.image), f.io->get("out.latent")), 1e-4);
  EXPECT_LT(test::rel_l2(ae->decode(f.latent), f.io->get("out.image")), 1e-4);
}

TEST(Autoencoder, TiledAgreesWithUntiled) {
  AeFixture f;
  const auto ae = AutoEncoder::load(open_tensor_store(test::fixture("ae.safetensors")));
  // Tiles see their own GroupNorm statistics and attention context, so tiled and whole agree
  // when the content is statistically alike everywhere, as natural images mostly are. A
  // stationary random latent (48x64, tiles of 32 with 16 overlap) models that.
  Tensor z = Tensor::empty({1, 16, 48, 64});
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t i = 0; i < z.numel(); ++i) z.f32()[i] = dist(rng);
  VaeTiling t;
  t.tile_latent = 32;
  t.overlap_latent = 16;
  int tiles = 0;
  const Tensor whole = ae->decode(z);
  const Tensor tiled = ae->decode_tiled(z, t, true, [&](int done, int total) { tiles = total; (void)done; });
  EXPECT_GT(tiles, 2);
  const double err = test::rel_l2(tiled, whole);
  std::printf("tiled decode vs whole: rel L2 %.3e over %d tiles\n", err, tiles);
  EXPECT_LT(err, 8e-2);
  const Tensor img = ae->decode(z);
  const Tensor enc_whole = ae->encode(img);
  const Tensor enc_tiled = ae->encode_tiled(img, t, true);
  const double enc_err = test::rel_l2(enc_tiled, enc_whole);
  std::printf("tiled encode vs whole: rel L2 %.3e\n", enc_err);
  EXPECT_LT(enc_err, 0.15);
}

TEST(Autoencoder, RejectsWrongInputs) {
  const auto ae = AutoEncoder::load(open_tensor_store(test::fixture("ae.safetensors")));
  EXPECT_THROW(ae->encode(Tensor::zeros({1, 3, 31, 48})), Error);  // not a multiple of 2
  EXPECT_THROW(ae->decode(Tensor::zeros({1, 4, 8, 8})), Error);    // 4 channels is an SD latent
  EXPECT_THROW(AutoEncoder::load(open_tensor_store(test::fixture("clip_l.safetensors"))), Error);
}

}  // namespace
}  // namespace fluxgen::vae
