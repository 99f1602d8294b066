// ESRGAN RRDBNet and Real-ESRGAN SRVGGNetCompact against their official implementations'
// outputs (esrgan_io.safetensors, real/real_io.safetensors), in every checkpoint naming.
#include <gtest/gtest.h>

#include <cstdio>

#include "backend/ops.h"
#include "io/safetensors.h"
#include "io/tensor_store.h"
#include "models/esrgan/rrdbnet.h"
#include "models/esrgan/sr_checkpoint.h"
#include "models/esrgan/srvgg_compact.h"
#include "models/upscaler.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using test::error_of;

using test::fixture;
using test::rel_l2;


// The original-naming fixture's tensors renamed by `rename` (old name -> new name or "" to drop).
std::shared_ptr<MemoryStore> renamed(const std::function<std::string(const std::string&)>& rename,
                                     const std::string& file = "esrgan.safetensors") {
  const auto src = open_tensor_store(fixture(file));
  auto out = std::make_shared<MemoryStore>("renamed " + file);
  for (const auto& n : src->names()) {
    const std::string to = rename(n);
    if (!to.empty()) out->put(to, src->get(n));
  }
  return out;
}

void expect_fixture_parity(const Upscaler& up, const std::string& what) {
  const auto io = SafetensorsFile::open(fixture("esrgan_io.safetensors"));
  const Tensor out = up.forward(io->get("in.image"));
  const double err = rel_l2(out, io->get("out.image"));
  std::printf("[ esrgan ] %s: %s, relative L2 %.3g\n", what.c_str(), up.description().c_str(), err);
  EXPECT_LT(err, 1e-4) << what;
}

TEST(EsrganParity, OriginalNamingPickle) {
  const auto up = Upscaler::load(fixture("esrgan_old.pth"));
  EXPECT_EQ(up->architecture(), SrArchitecture::RRDBNet);
  EXPECT_EQ(up->scale(), 4);
  expect_fixture_parity(*up, "esrgan_old.pth");
}

TEST(EsrganParity, BasicSRNamingInParamsEma) {
  const auto up = Upscaler::load(fixture("esrgan_basicsr.pth"));
  EXPECT_NE(up->description().find("BasicSR"), std::string::npos);
  expect_fixture_parity(*up, "esrgan_basicsr.pth");
}

TEST(EsrganParity, OriginalNamingSafetensors) {
  const auto up = Upscaler::load(fixture("esrgan.safetensors"));
  expect_fixture_parity(*up, "esrgan.safetensors");
  // The configuration the fixture was made with.
  const SrCheckpoint ckpt = read_sr_checkpoint(*open_tensor_store(fixture("esrgan.safetensors")));
  const RRDBNetConfig c = infer_rrdbnet_config(Weights(ckpt.store));
  EXPECT_EQ(c.nf, 16);
  EXPECT_EQ(c.nb, 2);
  EXPECT_EQ(c.gc, 8);
  EXPECT_EQ(c.scale(), 4);
  EXPECT_EQ(c.unshuffle, 1);
}

// xinntao's "new arch" names for the same weights.
std::string to_new_arch(const std::string& n) {
  auto replace = [&](const std::string& from, const std::string& to) { return to + n.substr(from.size()); };
  if (n.rfind("model.0.", 0) == 0) return replace("model.0.", "conv_first.");
  if (n.rfind("model.3.", 0) == 0) return replace("model.3.", "upconv1.");
  if (n.rfind("model.6.", 0) == 0) return replace("model.6.", "upconv2.");
  if (n.rfind("model.8.", 0) == 0) return replace("model.8.", "HRconv.");
  if (n.rfind("model.10.", 0) == 0) return replace("model.10.", "conv_last.");
  if (n.rfind("model.1.sub.2.", 0) == 0) return replace("model.1.sub.2.", "trunk_conv.");
  // model.1.sub.N.RDBk.convj.0.param -> RRDB_trunk.N.RDBk.convj.param
  std::string rest = n.substr(std::string("model.1.sub.").size());
  const size_t zero = rest.find(".0.");
  return "RRDB_trunk." + rest.substr(0, zero) + rest.substr(zero + 2);
}

TEST(EsrganParity, NewArchNamingAndWrappers) {
  const auto store = renamed(to_new_arch);
  ASSERT_TRUE(store->contains("RRDB_trunk.1.RDB3.conv5.weight"));
  expect_fixture_parity(*Upscaler::from_store(*store), "RRDB_trunk naming");
  // {"params": ...} and DataParallel's "module." wrap the same names.
  expect_fixture_parity(*Upscaler::from_store(*renamed([](const std::string& n) { return "params.module." + n; })),
                        "params.module. wrapped");
}

TEST(EsrganScales, X2AndX1OriginalNamingMatchBasicSR) {
  // x2: model.0, model.1 (trunk), model.3 (up conv), model.5 (HR), model.7 (last);
  // x1: model.0, model.1, model.2 (HR), model.4 (last). The same weights in BasicSR naming must
  // give the same network.
  struct Case {
    std::map<std::string, std::string> old_tail;  // fixture index -> index in the smaller model
    std::map<std::string, std::string> basicsr_tail;
    int scale;
  };
  const std::vector<Case> cases = {
      {{{"model.3.", "model.3."}, {"model.8.", "model.5."}, {"model.10.", "model.7."}},
       {{"model.3.", "conv_up1."}, {"model.8.", "conv_hr."}, {"model.10.", "conv_last."}}, 2},
      {{{"model.8.", "model.2."}, {"model.10.", "model.4."}}, {{"model.8.", "conv_hr."}, {"model.10.", "conv_last."}}, 1},
  };
  const auto io = SafetensorsFile::open(fixture("esrgan_io.safetensors"));
  for (const Case& c : cases) {
    auto map_with = [&](const std::map<std::string, std::string>& tail, bool basicsr) {
      return [&, basicsr](const std::string& n) -> std::string {
        for (const auto& [from, to] : tail)
          if (n.rfind(from, 0) == 0) return to + n.substr(from.size());
        if (n.rfind("model.0.", 0) == 0 || n.rfind("model.1.", 0) == 0) {
          if (!basicsr) return n;
          const std::string nn = to_new_arch(n);  // conv_first / RRDB_trunk / trunk_conv
          if (nn.rfind("trunk_conv.", 0) == 0) return "conv_body." + nn.substr(11);
          if (nn.rfind("RRDB_trunk.", 0) == 0) {
            std::string b = "body." + nn.substr(11);
            for (const char* r : {"RDB1", "RDB2", "RDB3"}) {
              const size_t at = b.find(r);
              if (at != std::string::npos) b.replace(at, 4, std::string("rdb") + r[3]);
            }
            return b;
          }
          return nn;
        }
        return "";  // the dropped upsampling conv(s)
      };
    };
    const auto old_up = Upscaler::from_store(*renamed(map_with(c.old_tail, false)));
    const auto new_up = Upscaler::from_store(*renamed(map_with(c.basicsr_tail, true)));
    EXPECT_EQ(old_up->scale(), c.scale);
    EXPECT_EQ(new_up->scale(), c.scale);
    const Tensor a = old_up->forward(io->get("in.image"));
    const Tensor b = new_up->forward(io->get("in.image"));
    EXPECT_EQ(a.shape(), (Shape{1, 3, 12 * c.scale, 16 * c.scale}));
    EXPECT_EQ(test::max_abs_diff(a, b), 0.0) << "x" << c.scale;
  }
}

TEST(EsrganScales, RealEsrganPixelUnshuffleModels) {
  // Real-ESRGAN x2plus / x1: conv_first sees 3*4 / 3*16 channels of a pixel-unshuffled image and
  // two x2 steps follow. Built from the fixture weights with a widened conv_first.
  for (int factor : {2, 4}) {
    auto store = renamed([](const std::string& n) { return n; }, "esrgan.safetensors");
    auto basic = std::make_shared<MemoryStore>(factor == 2 ? "x2 model" : "x1 model");
    const SrCheckpoint ckpt = read_sr_checkpoint(*store);
    for (const auto& n : ckpt.store->names()) basic->put(n, ckpt.store->get(n));
    const Tensor w = ckpt.store->get("conv_first.weight");  // [16, 3, 3, 3]
    // Channel c*f*f + k of the unshuffled image is sub-pixel k of colour c: tile each colour's kernel.
    std::vector<Tensor> per_colour;
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < factor * factor; ++k)
        per_colour.push_back(ops::scale(ops::slice(w, 1, c, c + 1), 1.0f / static_cast<float>(factor * factor)));
    basic->put("conv_first.weight", ops::concat(per_colour, 1));
    const auto up = Upscaler::from_store(*basic);
    EXPECT_EQ(up->scale(), 4 / factor);
    EXPECT_NE(up->description().find(factor == 2 ? "pixel-unshuffle 2" : "pixel-unshuffle 4"), std::string::npos);
    // On an image constant over each factor x factor block, unshuffling then averaging the
    // sub-pixels is the identity: the result equals the x4 network on the block-downsampled image.
    const auto io = SafetensorsFile::open(fixture("esrgan_io.safetensors"));
    const Tensor small = to_f32(io->get("in.image"));
    const Tensor blocky = ops::upsample_nearest(small, factor);
    const Tensor got = up->forward(blocky);
    const Tensor want = io->get("out.image");
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_LT(rel_l2(got, want), 1e-4) << "factor " << factor;
  }
}

TEST(EsrganErrors, NotAnUpscalerAndBadShapes) {
  std::string msg = error_of([] { Upscaler::load(fixture("pickles/state_dict.pt")); });
  EXPECT_NE(msg.find("not an ESRGAN"), std::string::npos) << msg;
  auto store = renamed([](const std::string& n) { return n; });
  store->put("model.1.sub.0.RDB2.conv3.0.weight", Tensor::zeros({8, 31, 3, 3}));
  msg = error_of([&] { Upscaler::from_store(*store); });
  EXPECT_NE(msg.find("body.0.rdb2.conv3.weight has shape [8, 31, 3, 3]"), std::string::npos) << msg;
  auto extra = renamed([](const std::string& n) { return n; });
  extra->put("model.1.sub.0.RDB1.conv1x1.weight", Tensor::zeros({1}));
  msg = error_of([&] { Upscaler::from_store(*extra); });
  EXPECT_NE(msg.find("model.1.sub.0.RDB1.conv1x1.weight does not belong"), std::string::npos) << msg;
}

bool have_compact_fixture() {
#if defined(FLUXGEN_WITH_ZLIB)
  return true;  // realesr-animevideov3.pth has deflated entries
#else
  return false;
#endif
}

TEST(SrvggParity, RealEsrAnimeVideoV3) {
  if (!have_compact_fixture()) GTEST_SKIP() << "no zlib: the release .pth is deflate-compressed";
  const auto up = Upscaler::load(fixture("real/realesr-animevideov3.pth"));
  EXPECT_EQ(up->architecture(), SrArchitecture::SRVGGNetCompact);
  EXPECT_EQ(up->scale(), 4);
  EXPECT_NE(up->description().find("64 features, 16 convs, PReLU"), std::string::npos) << up->description();
  const auto io = SafetensorsFile::open(fixture("real/real_io.safetensors"));
  const Tensor out = up->forward(io->get("sr.in.image"));
  const double err = rel_l2(out, io->get("sr.out.image"));
  std::printf("[ srvgg ] realesr-animevideov3: relative L2 %.3g\n", err);
  EXPECT_LT(err, 1e-4);
}

TEST(SrvggConfig, ParameterlessActivationsAndBadLayouts) {
  if (!have_compact_fixture()) GTEST_SKIP() << "no zlib";
  const auto real = open_tensor_store(fixture("real/realesr-animevideov3.pth"));
  auto relu = std::make_shared<MemoryStore>("relu compact");
  // Keep the convs (even body indices), drop the PReLU slopes (odd ones).
  for (const auto& n : real->names()) {
    const int64_t index = std::atoll(n.c_str() + std::string("params.body.").size());
    if (index % 2 == 0) relu->put(n.substr(7), real->get(n));
  }
  const Weights w(relu);
  const SRVGGConfig c = infer_srvgg_config(w);
  EXPECT_EQ(c.activation, CompactActivation::ReLU);
  EXPECT_EQ(c.num_conv, 16);
  EXPECT_EQ(c.num_feat, 64);
  EXPECT_EQ(c.scale, 4);
  EXPECT_EQ(infer_srvgg_config(w, CompactActivation::LeakyReLU).activation, CompactActivation::LeakyReLU);
  // ReLU vs LeakyReLU(0.1) really differ, and ReLU is max(x, 0) between the convs.
  const Tensor x = Tensor::full({1, 3, 8, 8}, 0.5f);
  const Tensor a = SRVGGNetCompact(w, CompactActivation::ReLU).forward(x);
  const Tensor b = SRVGGNetCompact(w, CompactActivation::LeakyReLU).forward(x);
  EXPECT_GT(test::max_abs_diff(a, b), 0.0);
  // A gap in the conv chain is reported.
  relu->put("body.40.weight", Tensor::zeros({3, 64, 3, 3}));
  EXPECT_NE(error_of([&] { infer_srvgg_config(Weights(relu)); }).find("body.40.weight lies beyond"), std::string::npos);
}

TEST(EsrganCli, EvalEsrganFixtureAndRealCompact) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  auto r = test::run_fluxgen({"eval", "esrgan", "--weights", fixture("esrgan_old.pth"), "--inputs",
                              fixture("esrgan_io.safetensors"), "--output", dir + "/a.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = SafetensorsFile::open(dir + "/a.safetensors");
  const auto io = SafetensorsFile::open(fixture("esrgan_io.safetensors"));
  EXPECT_LT(rel_l2(out->get("out.image"), io->get("out.image")), 1e-4);
  EXPECT_FALSE(out->contains("sr.out.image"));

  if (have_compact_fixture()) {
    r = test::run_fluxgen({"eval", "esrgan", "--weights", fixture("real/realesr-animevideov3.pth"), "--inputs",
                           fixture("real/real_io.safetensors"), "--output", dir + "/b.safetensors"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    out = SafetensorsFile::open(dir + "/b.safetensors");
    const auto real = SafetensorsFile::open(fixture("real/real_io.safetensors"));
    EXPECT_LT(rel_l2(out->get("sr.out.image"), real->get("sr.out.image")), 1e-4);
    EXPECT_LT(rel_l2(out->get("out.image"), real->get("sr.out.image")), 1e-4);
  }
  r = test::run_fluxgen({"eval", "esrgan", "--weights", fixture("esrgan_old.pth"), "--inputs",
                         fixture("clip_io.safetensors"), "--output", dir + "/c.safetensors"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("holds neither in.image nor sr.in.image"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fluxgen
