// The "Approx cheap" preview on a real FLUX latent (TAEF1's encoding of a real photo): it must look
// like the photo seen at latent resolution.
#include <gtest/gtest.h>

#include <cmath>

#include "io/image/image.h"
#include "io/safetensors.h"
#include "pipeline/latent_preview.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(LatentPreview, LooksLikeThePhotoAtLatentResolution) {
  const auto io = SafetensorsFile::open(test::fixture("real/real_io.safetensors"));
  const Tensor latent = io->get("taef1.out.latent");  // [1, 16, 18, 32]
  const Tensor photo = to_f32(io->get("taef1.in.image"));  // [1, 3, 144, 256] in [0, 1]
  const Image preview = latent_to_rgb_preview(latent);
  ASSERT_EQ(preview.width, 32);
  ASSERT_EQ(preview.height, 18);
  ASSERT_EQ(preview.channels, 3);
  // The photo averaged over each 8x8 block, per channel, against the preview.
  const int W = 256, H = 144;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> ref, got;
    for (int y = 0; y < 18; ++y) {
      for (int x = 0; x < 32; ++x) {
        double sum = 0;
        for (int dy = 0; dy < 8; ++dy)
          for (int dx = 0; dx < 8; ++dx) sum += photo.f32()[(c * H + y * 8 + dy) * W + x * 8 + dx];
        ref.push_back(sum / 64 * 255);
        got.push_back(preview.pixel(x, y)[c]);
      }
    }
    const double r = correlation(ref, got);
    RecordProperty("correlation_" + std::to_string(c), std::to_string(r));
    EXPECT_GT(r, 0.9) << "channel " << c;  // measured 0.96-0.98
  }
}

TEST(LatentPreview, ValidatesTheLatent) {
  EXPECT_THROW(latent_to_rgb_preview(Tensor::zeros({1, 4, 8, 8})), Error);
  EXPECT_THROW(latent_to_rgb_preview(Tensor::zeros({16, 8})), Error);
  // A zero latent shows the bias: (bias + 1) / 2 * 255, truncated.
  const Image flat = latent_to_rgb_preview(Tensor::zeros({16, 2, 3}));
  EXPECT_EQ(flat.pixel(1, 1)[0], static_cast<uint8_t>((-0.0329f + 1.0f) / 2.0f * 255.0f));
  EXPECT_EQ(flat.pixel(1, 1)[2], static_cast<uint8_t>((-0.0851f + 1.0f) / 2.0f * 255.0f));
}

}  // namespace
}  // namespace fluxgen
