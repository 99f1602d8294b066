// PSNR and SSIM on luminance (imaging/image_metrics.h) against values worked out by hand from the
// definitions, and against scikit-image's on fixed PNGs (tools/gen_image_metric_goldens.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "imaging/image_metrics.h"
#include "io/image/image_io.h"
#include "io/json.h"
#include "test_support.h"

namespace fluxgen {
namespace {

Tensor constant_rgb(int64_t h, int64_t w, float r, float g, float b) {
  Tensor t = Tensor::empty({1, 3, h, w});
  for (int64_t i = 0; i < h * w; ++i) {
    t.f32()[i] = r;
    t.f32()[h * w + i] = g;
    t.f32()[2 * h * w + i] = b;
  }
  return t;
}

TEST(ImageMetrics, IdenticalImagesAreInfinitePsnrAndSsimOne) {
  Tensor a = constant_rgb(24, 20, 0.2f, 0.5f, 0.9f);
  for (int64_t i = 0; i < a.numel(); ++i) a.f32()[i] = std::fmod(0.37f * float(i), 1.0f);
  EXPECT_TRUE(std::isinf(psnr_luma(a, a)));
  EXPECT_NEAR(ssim_luma(a, a), 1.0, 1e-12);
}

TEST(ImageMetrics, ConstantImagesFollowTheDefinitions) {
  // Luminance 0.5 against 0.6 (grey, so Y = the value): MSE 0.01 -> 20 dB; SSIM reduces to the
  // luminance term (2·0.5·0.6 + C1) / (0.5² + 0.6² + C1) with C1 = 0.01².
  const Tensor a = constant_rgb(16, 16, 0.5f, 0.5f, 0.5f), b = constant_rgb(16, 16, 0.6f, 0.6f, 0.6f);
  EXPECT_NEAR(psnr_luma(a, b), 20.0, 1e-5);
  const double c1 = 1e-4;
  EXPECT_NEAR(ssim_luma(a, b), (2 * 0.5 * 0.6 + c1) / (0.25 + 0.36 + c1), 1e-6);
  // Luminance weights are scikit-image's: pure red is Y = 0.2125.
  EXPECT_NEAR(psnr_luma(constant_rgb(16, 16, 1, 0, 0), constant_rgb(16, 16, 0, 0, 0)),
              10.0 * std::log10(1.0 / (0.2125 * 0.2125)), 1e-4);
}

TEST(ImageMetrics, MismatchedOrTinyImagesAreRefused) {
  EXPECT_NE(test::error_of([] { psnr_luma(constant_rgb(16, 16, 0, 0, 0), constant_rgb(16, 17, 0, 0, 0)); })
                .find("sizes differ"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { ssim_luma(constant_rgb(8, 8, 0, 0, 0), constant_rgb(8, 8, 0, 0, 0)); })
                .find("at least 11x11"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { psnr_luma(Tensor::empty({1, 1, 4, 4}), Tensor::empty({1, 1, 4, 4})); })
                .find("RGB image"),
            std::string::npos);
}

std::string metric_data(const std::string& name) {
  return std::string(FLUXGEN_TEST_FIXTURES) + "/../data/image_metrics/" + name;
}

TEST(ImageMetrics, MatchScikitImageOnFixedImages) {
  std::ifstream in(metric_data("goldens.json"));
  ASSERT_TRUE(in) << metric_data("goldens.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const json::Value goldens = json::parse(ss.str());
  const json::Value& pairs = goldens.at("pairs");
  ASSERT_GE(pairs.size(), 3u);
  for (size_t i = 0; i < pairs.size(); ++i) {
    const json::Value& p = pairs.at(i);
    const auto load = [&](const char* key) {
      return image_to_tensor(read_image(metric_data(p.at(key).as_string())), PixelRange::ZeroOne);
    };
    const Tensor ref = load("reference"), test = load("test");
    const double psnr = p.at("psnr").as_number(), ssim = p.at("ssim").as_number();
    EXPECT_NEAR(psnr_luma(test, ref), psnr, 1e-6 * std::abs(psnr)) << p.at("test").as_string();
    EXPECT_NEAR(ssim_luma(test, ref), ssim, 1e-6 * std::abs(ssim)) << p.at("test").as_string();
  }
}

}  // namespace
}  // namespace fluxgen
