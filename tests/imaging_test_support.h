// Helpers shared by the imaging tests: the project's own Pillow-made goldens (tests/data/imaging,
// made by make_goldens.py there) and conversions between golden tensors and images.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "io/image/image.h"
#include "io/safetensors.h"
#include "test_support.h"

namespace fluxgen::test {

inline std::string imaging_data(const std::string& name) {
  return std::string(FLUXGEN_TEST_FIXTURES) + "/../data/imaging/" + name;
}

inline std::string read_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_binary(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A U8 golden [H, W] or [H, W, C] as an Image.
inline Image golden_image(const SafetensorsFile& file, const std::string& name) {
  const Tensor t = file.get(name);
  EXPECT_EQ(t.dtype(), DType::U8) << name;
  const int channels = t.ndim() == 2 ? 1 : static_cast<int>(t.dim(2));
  Image im(static_cast<int>(t.dim(1)), static_cast<int>(t.dim(0)), channels);
  std::memcpy(im.pixels.data(), t.raw_data(), im.pixels.size());
  return im;
}

// Number of bytes that differ, and the largest difference.
struct PixelDiff {
  size_t differing = 0;
  int max_diff = 0;
};
inline PixelDiff compare_pixels(const Image& a, const Image& b) {
  PixelDiff d;
  if (a.width != b.width || a.height != b.height || a.channels != b.channels) {
    d.differing = SIZE_MAX;
    return d;
  }
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const int diff = std::abs(int(a.pixels[i]) - int(b.pixels[i]));
    if (diff) ++d.differing, d.max_diff = std::max(d.max_diff, diff);
  }
  return d;
}

#define EXPECT_SAME_IMAGE(actual, expected, label)                                                         \
  do {                                                                                                     \
    const auto& a_ = (actual);                                                                             \
    const auto& e_ = (expected);                                                                           \
    ASSERT_EQ(a_.width, e_.width) << label;                                                                \
    ASSERT_EQ(a_.height, e_.height) << label;                                                              \
    ASSERT_EQ(a_.channels, e_.channels) << label;                                                          \
    const auto d_ = ::fluxgen::test::compare_pixels(a_, e_);                                               \
    EXPECT_EQ(d_.differing, 0u) << label << ": " << d_.differing << " bytes differ, max by " << d_.max_diff; \
  } while (0)

}  // namespace fluxgen::test
