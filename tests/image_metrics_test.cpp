// PSNR and SSIM on luminance (imaging/image_metrics.h) against values worked out by hand from the
// definitions.
#include <gtest/gtest.h>

#include <cmath>

#include "imaging/image_metrics.h"
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

}  // namespace
}  // namespace fluxgen
