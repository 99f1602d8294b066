// Resampling against Pillow's own output (tests/data/imaging/resize_goldens.safetensors, made by
// make_goldens.py with Pillow 9.4: the same Resample.c as the Pillow 9.5 A1111/Forge pin).
#include <gtest/gtest.h>

#include <cmath>

#include "imaging/a1111_resize.h"
#include "imaging/resize.h"
#include "imaging/tensor_resize.h"
#include "imaging_test_support.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using imaging::Filter;
using test::golden_image;
using test::imaging_data;

const SafetensorsFile& goldens() {
  static const auto file = SafetensorsFile::open(imaging_data("resize_goldens.safetensors"));
  return *file;
}

const std::pair<const char*, Filter> kFilters[] = {
    {"lanczos", Filter::Lanczos}, {"bilinear", Filter::Bilinear}, {"bicubic", Filter::Bicubic}, {"nearest", Filter::Nearest}};

TEST(ImagingResize, RgbMatchesPillowExactly) {
  const Image src = golden_image(goldens(), "src.rgb");
  const std::pair<const char*, std::pair<int, int>> sizes[] = {
      {"down", {16, 11}}, {"up", {80, 50}}, {"mixed", {50, 9}}, {"same_w", {37, 30}}};
  for (const auto& [fname, filter] : kFilters) {
    for (const auto& [sname, size] : sizes) {
      const std::string name = std::string("rgb.") + fname + "." + sname;
      EXPECT_SAME_IMAGE(imaging::resize(src, size.first, size.second, filter), golden_image(goldens(), name), name);
    }
  }
}

TEST(ImagingResize, RgbaPremultipliesLikePillow) {
  const Image src = golden_image(goldens(), "src.rgba");
  for (const auto& [fname, filter] : kFilters) {
    const std::string down = std::string("rgba.") + fname + ".down", up = std::string("rgba.") + fname + ".up";
    EXPECT_SAME_IMAGE(imaging::resize(src, 12, 8, filter), golden_image(goldens(), down), down);
    EXPECT_SAME_IMAGE(imaging::resize(src, 61, 40, filter), golden_image(goldens(), up), up);
  }
}

TEST(ImagingResize, GrayMatchesPillow) {
  const Image src = golden_image(goldens(), "src.gray");
  for (const auto& [fname, filter] : kFilters) {
    const std::string name = std::string("gray.") + fname + ".down";
    EXPECT_SAME_IMAGE(imaging::resize(src, 9, 7, filter), golden_image(goldens(), name), name);
  }
}

TEST(ImagingResize, BoxesIncludingEmptyOnes) {
  const Image src = golden_image(goldens(), "src.rgb");
  EXPECT_SAME_IMAGE(imaging::resize(src, 40, 6, Filter::Bicubic, imaging::Box{0, 0, 37, 0}),
                    golden_image(goldens(), "rgb.box.bicubic.top_edge"), "top edge");
  EXPECT_SAME_IMAGE(imaging::resize(src, 40, 6, Filter::Bicubic, imaging::Box{0, 23, 37, 23}),
                    golden_image(goldens(), "rgb.box.bicubic.bottom_edge"), "bottom edge");
  EXPECT_SAME_IMAGE(imaging::resize(src, 5, 30, Filter::Bicubic, imaging::Box{0, 0, 0, 23}),
                    golden_image(goldens(), "rgb.box.bicubic.left_edge"), "left edge");
  EXPECT_SAME_IMAGE(imaging::resize(src, 20, 14, Filter::Lanczos, imaging::Box{3, 2, 30, 21}),
                    golden_image(goldens(), "rgb.box.lanczos.crop"), "crop box");
}

TEST(ImagingResize, A1111ResizeModesMatch) {
  const Image src = golden_image(goldens(), "src.rgb");
  const std::pair<const char*, std::pair<int, int>> targets[] = {{"wide", {64, 24}}, {"tall", {24, 40}}, {"same", {74, 46}}};
  for (int mode = 0; mode < 3; ++mode) {
    for (const auto& [tname, size] : targets) {
      const std::string name = "a1111.mode" + std::to_string(mode) + "." + tname;
      EXPECT_SAME_IMAGE(imaging::a1111_resize_image(src, static_cast<imaging::ResizeMode>(mode), size.first, size.second),
                        golden_image(goldens(), name), name);
    }
  }
}

TEST(ImagingResize, A1111UpscalerRunsOnlyWhenGrowing) {
  const Image src = golden_image(goldens(), "src.rgb");
  int calls = 0;
  double seen_scale = 0;
  const imaging::Upscaler doubler = [&](const Image& im, double scale) {
    ++calls;
    seen_scale = scale;
    return imaging::resize(im, im.width * 2, im.height * 2, Filter::Nearest);
  };
  const Image up = imaging::a1111_resize_image(src, imaging::ResizeMode::JustResize, 74, 50, doubler);
  EXPECT_EQ(calls, 1);
  EXPECT_NEAR(seen_scale, 50.0 / 23.0, 1e-12);
  EXPECT_EQ(up.width, 74);
  EXPECT_EQ(up.height, 50);
  imaging::a1111_resize_image(src, imaging::ResizeMode::JustResize, 20, 10, doubler);
  EXPECT_EQ(calls, 1) << "no upscaler when shrinking";
  const Image gray = to_gray(src);
  imaging::a1111_resize_image(gray, imaging::ResizeMode::JustResize, 80, 60, doubler);
  EXPECT_EQ(calls, 1) << "masks (gray) skip the upscaler, as A1111 does for mode L";
}

TEST(ImagingResize, RejectsBadTargetsAndBoxes) {
  const Image src(8, 8, 3);
  EXPECT_THROW(imaging::resize(src, 0, 8, Filter::Lanczos), Error);
  EXPECT_THROW(imaging::resize(src, 8, -1, Filter::Lanczos), Error);
  EXPECT_THROW(imaging::resize(src, 20000, 8, Filter::Lanczos), Error);
  EXPECT_THROW(imaging::resize(src, 4, 4, Filter::Lanczos, imaging::Box{-1, 0, 4, 4}), Error);
  EXPECT_THROW(imaging::resize(src, 4, 4, Filter::Lanczos, imaging::Box{0, 0, 9, 4}), Error);
  EXPECT_THROW(imaging::resize(src, 4, 4, Filter::Lanczos, imaging::Box{4, 0, 2, 4}), Error);
  EXPECT_THROW(imaging::resize(Image(), 4, 4, Filter::Lanczos), Error);
  EXPECT_THROW(imaging::a1111_resize_image(src, static_cast<imaging::ResizeMode>(3), 4, 4), Error);
}

// Pillow's "F" (float32) mode: the same weights in double, an F32 intermediate.
TEST(ImagingTensorResize, PillowFloatFiltersMatch) {
  const Tensor src = to_f32(goldens().get("src.float"));
  const Tensor x = src.reshape({1, 1, src.dim(0), src.dim(1)});
  const std::pair<const char*, imaging::TensorResize> modes[] = {{"lanczos", imaging::TensorResize::Lanczos},
                                                                 {"bilinear", imaging::TensorResize::BilinearAntialias},
                                                                 {"bicubic", imaging::TensorResize::BicubicAntialias}};
  for (const auto& [name, mode] : modes) {
    const Tensor down = goldens().get(std::string("float.") + name + ".down");
    const Tensor up = goldens().get(std::string("float.") + name + ".up");
    EXPECT_LT(test::max_abs_diff(imaging::resize_tensor(x, 5, 7, mode), down), 1e-6) << name;
    EXPECT_LT(test::max_abs_diff(imaging::resize_tensor(x, 27, 31, mode), up), 1e-6) << name;
  }
}

// PyTorch's interpolate, worked out by hand for a 1x1x2x4 input.
TEST(ImagingTensorResize, TorchModesByHand) {
  const Tensor x = Tensor::from_vector({1, 1, 2, 4}, {0, 1, 2, 3, 10, 11, 12, 13});
  // nearest 2x4 -> 2x3: scale 4/3, src = floor(i * 4/3) = 0, 1, 2.
  EXPECT_EQ(to_vector(imaging::resize_tensor(x, 2, 3, imaging::TensorResize::Nearest)),
            (std::vector<float>{0, 1, 2, 10, 11, 12}));
  // nearest-exact: floor((i + 0.5) * 4/3) = 0, 2, 3.
  EXPECT_EQ(to_vector(imaging::resize_tensor(x, 2, 3, imaging::TensorResize::NearestExact)),
            (std::vector<float>{0, 2, 3, 10, 12, 13}));
  // bilinear 4 -> 8 along x: src = (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, ...
  const auto bl = to_vector(imaging::resize_tensor(x, 2, 8, imaging::TensorResize::Bilinear));
  const std::vector<float> row0 = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(bl[i], row0[i], 1e-6) << i;
  // bicubic (A = -0.75) 4 -> 8 at output 1: src = 0.25, taps at -1(clamped 0), 0, 1, 2 with t = 0.25.
  const auto bc = to_vector(imaging::resize_tensor(x, 2, 8, imaging::TensorResize::Bicubic));
  const double A = -0.75, t = 0.25;
  const auto cc1 = [&](double v) { return ((A + 2) * v - (A + 3)) * v * v + 1; };
  const auto cc2 = [&](double v) { return ((A * v - 5 * A) * v + 8 * A) * v - 4 * A; };
  const double expect = cc2(t + 1) * 0 + cc1(t) * 0 + cc1(1 - t) * 1 + cc2(2 - t) * 2;
  EXPECT_NEAR(bc[1], expect, 1e-6);
  // Output 4: src = 1.75, taps 0..3 unclamped with t = 0.75 (A = -0.75 does not reproduce lines:
  // 1.703125, not 1.75).
  const double t4 = 0.75;
  EXPECT_NEAR(bc[4], cc2(t4 + 1) * 0 + cc1(t4) * 1 + cc1(1 - t4) * 2 + cc2(2 - t4) * 3, 1e-6);
  EXPECT_NEAR(bc[4], 1.703125, 1e-6);
  // Height changes too: rows 0 and 1 blend at 0.25 / 0.75 going 2 -> 4.
  const auto v = to_vector(imaging::resize_tensor(x, 4, 4, imaging::TensorResize::Bilinear));
  EXPECT_NEAR(v[4 + 0], 2.5, 1e-6);   // row 1: 0.75*row0 + 0.25*row1
  EXPECT_NEAR(v[8 + 0], 7.5, 1e-6);   // row 2: 0.25*row0 + 0.75*row1
}

TEST(ImagingTensorResize, ValidatesInput) {
  EXPECT_THROW(imaging::resize_tensor(Tensor::zeros({3, 4, 4}), 2, 2, imaging::TensorResize::Bilinear), Error);
  EXPECT_THROW(imaging::resize_tensor(Tensor::zeros({1, 3, 4, 4}, DType::I32), 2, 2, imaging::TensorResize::Bilinear),
               Error);
  EXPECT_THROW(imaging::resize_tensor(Tensor::zeros({1, 3, 4, 4}), 0, 2, imaging::TensorResize::Lanczos), Error);
}

}  // namespace
}  // namespace fluxgen
