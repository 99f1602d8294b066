// TAEF1 against its official implementation's outputs on a real photo (tests/fixtures/real).
#include <gtest/gtest.h>

#include "backend/ops.h"
#include "io/safetensors.h"
#include "io/tensor_store.h"
#include "models/taesd/taesd.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using test::fixture;

const SafetensorsFile& real_io() {
  static const auto file = SafetensorsFile::open(fixture("real/real_io.safetensors"));
  return *file;
}

TEST(Taesd, Taef1EncoderMatchesOfficialOnRealPhoto) {
  const TaesdEncoder encoder = load_taesd_encoder(fixture("real/taef1_encoder.safetensors"));
  EXPECT_EQ(encoder.latent_channels(), 16);
  const Tensor latent = encoder.forward(real_io().get("taef1.in.image"));
  const Tensor expected = real_io().get("taef1.out.latent");
  ASSERT_EQ(latent.shape(), expected.shape());
  const double err = test::rel_l2(latent, expected);
  RecordProperty("rel_l2", std::to_string(err));
  EXPECT_LT(err, 1e-4);
}

TEST(Taesd, Taef1DecoderMatchesOfficialOnRealLatent) {
  const TaesdDecoder decoder = load_taesd_decoder(fixture("real/taef1_decoder.safetensors"));
  EXPECT_EQ(decoder.latent_channels(), 16);
  const Tensor image = ops::clamp(decoder.forward(real_io().get("taef1.out.latent")), 0.0f, 1.0f);
  const Tensor expected = real_io().get("taef1.out.image");
  ASSERT_EQ(image.shape(), expected.shape());
  const double err = test::rel_l2(image, expected);
  RecordProperty("rel_l2", std::to_string(err));
  EXPECT_LT(err, 1e-4);
}

TEST(Taesd, WrongFilesAndShapesAreClearErrors) {
  const std::string enc_path = fixture("real/taef1_encoder.safetensors");
  const std::string dec_path = fixture("real/taef1_decoder.safetensors");
  try {
    load_taesd_encoder(dec_path);
    FAIL() << "a decoder loaded as an encoder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("taef1_decoder.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_taesd_decoder(enc_path), Error);
  EXPECT_THROW(load_taesd_encoder(fixture("ae.safetensors")), Error);
  // A tensor with the wrong shape names the tensor.
  auto store = std::make_shared<MemoryStore>("broken.safetensors");
  const auto src = open_tensor_store(enc_path);
  for (const auto& name : src->names()) store->put(name, src->get(name));
  store->put("7.conv.2.weight", Tensor::zeros({64, 64, 1, 1}));
  try {
    TaesdEncoder enc{Weights(store)};
    FAIL() << "a wrong shape loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("7.conv.2.weight"), std::string::npos) << e.what();
  }
  const TaesdEncoder encoder = load_taesd_encoder(enc_path);
  EXPECT_THROW(encoder.forward(Tensor::zeros({1, 4, 16, 16})), Error);
  const TaesdDecoder decoder = load_taesd_decoder(dec_path);
  EXPECT_THROW(decoder.forward(Tensor::zeros({1, 4, 2, 2})), Error);
}

TEST(TaesdCli, EvalEncodeAndDecodeReproduceRealIo) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  auto r = test::run_fluxgen({"eval", "taesd-encode", "--weights", fixture("real/taef1_encoder.safetensors"),
                              "--inputs", fixture("real/real_io.safetensors"), "--output", dir + "/enc.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(test::rel_l2(SafetensorsFile::open(dir + "/enc.safetensors")->get("out.latent"),
                         real_io().get("taef1.out.latent")),
            1e-4);
  r = test::run_fluxgen({"eval", "taesd-decode", "--weights", fixture("real/taef1_decoder.safetensors"), "--inputs",
                         fixture("real/real_io.safetensors"), "--output", dir + "/dec.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(test::rel_l2(SafetensorsFile::open(dir + "/dec.safetensors")->get("out.image"),
                         real_io().get("taef1.out.image")),
            1e-4);
  // Plain in.* names work too, and a file without them is a one-line error.
  write_safetensors(dir + "/in.safetensors", {{"in.latent", Tensor::full({1, 16, 3, 4}, 0.25f)}});
  r = test::run_fluxgen({"eval", "taesd-decode", "--weights", fixture("real/taef1_decoder.safetensors"), "--inputs",
                         dir + "/in.safetensors", "--output", dir + "/dec2.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(SafetensorsFile::open(dir + "/dec2.safetensors")->get("out.image").shape(), (Shape{1, 3, 24, 32}));
  r = test::run_fluxgen({"eval", "taesd-encode", "--weights", fixture("real/taef1_encoder.safetensors"), "--inputs",
                         dir + "/in.safetensors", "--output", dir + "/x.safetensors"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("in.image"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fluxgen
