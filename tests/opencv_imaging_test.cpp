// OpenCV-exact image operations against OpenCV's and Pillow's own output
// (tests/data/adetailer/mask_goldens.safetensors, made by make_goldens.py there with OpenCV 4.6 and
// Pillow 9.4), plus hand-computed cases.
#include <gtest/gtest.h>

#include "imaging/draw.h"
#include "imaging/opencv_filters.h"
#include "imaging/opencv_resize.h"
#include "imaging_test_support.h"
#include "io/json.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using test::golden_image;

std::string adetailer_data(const std::string& name) {
  return std::string(FLUXGEN_TEST_FIXTURES) + "/../data/adetailer/" + name;
}

const SafetensorsFile& goldens() {
  static const auto file = SafetensorsFile::open(adetailer_data("mask_goldens.safetensors"));
  return *file;
}

Image gray(int w, int h, std::initializer_list<int> values) {
  Image im(w, h, 1);
  size_t i = 0;
  for (int v : values) im.pixels[i++] = static_cast<uint8_t>(v);
  return im;
}

TEST(OpencvImaging, ResizeLinearMatchesOpenCvExactly) {
  const json::Value sizes = json::parse(goldens().metadata_value("resize_sizes"));
  for (const char* ch : {"gray", "rgb", "rgba"}) {
    const Image src = golden_image(goldens(), std::string("resize.src.") + ch);
    for (const auto& s : sizes.as_array()) {
      const int w = static_cast<int>(s.at(0).as_int()), h = static_cast<int>(s.at(1).as_int());
      const std::string name = std::string("resize.") + ch + "." + std::to_string(w) + "x" + std::to_string(h);
      EXPECT_SAME_IMAGE(imaging::opencv_resize_linear(src, w, h), golden_image(goldens(), name), name);
    }
  }
}

TEST(OpencvImaging, ResizeHandComputed) {
  // 1 row, 5 -> 8 columns: src x = (dx + 0.5)·5/8 − 0.5; dx = 2 -> 1.0625: 63·0.9375 + 10·0.0625 =
  // 59.6875, weights 1920/128 of 2048 -> 122240; the vertical pass of a single row keeps it: 60.
  const Image row = gray(5, 1, {60, 63, 10, 200, 7});
  const Image r = imaging::opencv_resize_linear(row, 8, 1);
  EXPECT_EQ(r.pixels[0], 60);
  EXPECT_EQ(r.pixels[2], 60);
  // With 5 identical rows resized to 8, output row 0 reads source row −0.1875: both taps are row 0
  // with weights 384 and 1664, each product rounded down: (44 + 193 + 2) >> 2 = 59.
  Image rows(5, 5, 1);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) rows.pixel(x, y)[0] = row.pixels[static_cast<size_t>(x)];
  EXPECT_EQ(imaging::opencv_resize_linear(rows, 8, 8).pixel(2, 0)[0], 59);
  // Exact halving is the rounded 2×2 mean.
  const Image half = imaging::opencv_resize_linear(gray(2, 2, {1, 2, 3, 5}), 1, 1);
  EXPECT_EQ(half.pixels[0], (1 + 2 + 3 + 5 + 2) >> 2);
  EXPECT_THROW(imaging::opencv_resize_linear(row, 0, 3), Error);
}

TEST(OpencvImaging, GaussianKernelIsOpenCvsFixedPoint) {
  // sigma 1, size 7: exp(−d²/2) for d = 3, 2, 1 normalised by their sum 2.50595, ×256 = 1.135,
  // 13.825, 61.961; rounded with the error carried inward: 1 (+.135), 13.960 -> 14 (−.040),
  // 61.921 -> 62; the centre takes 256 − 2·77 = 102.
  EXPECT_EQ(imaging::opencv_gaussian_kernel_8u(7, 1.0), (std::vector<int>{1, 14, 62, 102, 62, 14, 1}));
  for (int size : {1, 3, 21, 61}) {
    const auto k = imaging::opencv_gaussian_kernel_8u(size, 12.0);
    int sum = 0;
    for (int v : k) sum += v;
    EXPECT_EQ(sum, 256) << size;
  }
  EXPECT_THROW(imaging::opencv_gaussian_kernel_8u(4, 1.0), Error);
  EXPECT_THROW(imaging::opencv_gaussian_kernel_8u(5, 0.0), Error);
}

TEST(OpencvImaging, GaussianBlurMatchesOpenCvExactly) {
  const Image src = golden_image(goldens(), "blur.src");
  const json::Value cases = json::parse(goldens().metadata_value("blur_cases"));
  for (const auto& c : cases.as_array()) {
    const int kx = static_cast<int>(c.at(0).as_int()), ky = static_cast<int>(c.at(1).as_int());
    const int sigma = static_cast<int>(c.at(2).as_int());
    const std::string name = "blur." + std::to_string(kx) + "x" + std::to_string(ky) + ".s" + std::to_string(sigma);
    EXPECT_SAME_IMAGE(imaging::opencv_gaussian_blur(src, kx, ky, sigma), golden_image(goldens(), name), name);
  }
  // A kernel wider than the image mirrors repeatedly (BORDER_REFLECT_101).
  const Image small = golden_image(goldens(), "blur.small.src");
  for (int sigma : {2, 4}) {
    const int k = 2 * static_cast<int>(2.5 * sigma + 0.5) + 1;
    const std::string sx = "blur.small." + std::to_string(k) + "x1.s" + std::to_string(sigma);
    const std::string sy = "blur.small.1x" + std::to_string(k) + ".s" + std::to_string(sigma);
    EXPECT_SAME_IMAGE(imaging::opencv_gaussian_blur(small, k, 1, sigma), golden_image(goldens(), sx), sx);
    EXPECT_SAME_IMAGE(imaging::opencv_gaussian_blur(small, 1, k, sigma), golden_image(goldens(), sy), sy);
  }
  EXPECT_THROW(imaging::opencv_gaussian_blur(Image(4, 4, 3), 3, 1, 1.0), Error);
}

TEST(OpencvImaging, DilateErodeMatchOpenCv) {
  const Image src = golden_image(goldens(), "morph.src");
  for (int v : {1, 2, 3, 4, 5, 8}) {
    const std::string d = "morph.dilate." + std::to_string(v), e = "morph.erode." + std::to_string(v);
    EXPECT_SAME_IMAGE(imaging::opencv_dilate(src, v), golden_image(goldens(), d), d);
    EXPECT_SAME_IMAGE(imaging::opencv_erode(src, v), golden_image(goldens(), e), e);
  }
  // Hand-computed: v = 4 spans x − 2 … x + 1, so a single pixel at 3 grows to columns 2 … 5.
  const Image one = gray(8, 1, {0, 0, 0, 255, 0, 0, 0, 0});
  const Image grown = imaging::opencv_dilate(one, 4);
  EXPECT_EQ(std::vector<uint8_t>(grown.pixels.begin(), grown.pixels.end()),
            (std::vector<uint8_t>{0, 0, 255, 255, 255, 255, 0, 0}));
  EXPECT_THROW(imaging::opencv_dilate(one, 0), Error);
}

TEST(MaskDrawing, RectangleMatchesPillow) {
  const Tensor boxes = goldens().get("rect.boxes");
  for (int64_t i = 0; i < boxes.dim(0); ++i) {
    const float* b = boxes.data<float>() + i * 4;
    Image im(20, 15, 1);
    imaging::fill_rectangle(im, b[0], b[1], b[2], b[3], {255});
    const std::string name = "rect." + std::to_string(i);
    EXPECT_SAME_IMAGE(im, golden_image(goldens(), name), name);
  }
  Image im(4, 4, 3);
  EXPECT_THROW(imaging::fill_rectangle(im, 3, 0, 2, 1, {255}), Error);
  EXPECT_THROW(imaging::fill_rectangle(im, 0, 0, 1, 1, {1, 2}), Error);
  imaging::outline_rectangle(im, 0, 0, 3.9, 3, {9, 8, 7}, 1);
  EXPECT_EQ(im.pixel(3, 3)[0], 9);
  EXPECT_EQ(im.pixel(1, 1)[0], 0);
}

}  // namespace
}  // namespace fluxgen
