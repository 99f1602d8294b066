// safetensors does not align tensor data: after a 3-byte U8 tensor the next F32 tensor starts at an
// odd offset. Reading it must not hand out a misaligned float pointer (undefined behaviour).
#include <gtest/gtest.h>

#include <cstdint>

#include "io/safetensors.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen {
namespace {

TEST(SafetensorsAlignment, MisalignedTensorsAreCopiedAligned) {
  const std::string path = test::temp_dir() + "/odd.safetensors";
  Tensor bytes = Tensor::empty({3}, DType::U8);
  for (int i = 0; i < 3; ++i) bytes.data<uint8_t>()[i] = static_cast<uint8_t>(i + 1);
  write_safetensors(path, {{"a.bytes", bytes}, {"b.floats", Tensor::from_vector({4}, {1.5f, -2, 3, 4.25f})}});
  const auto file = SafetensorsFile::open(path);
  const Tensor f = file->get("b.floats");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.raw_data()) % alignof(float), 0u);
  EXPECT_EQ(to_vector(f), (std::vector<float>{1.5f, -2, 3, 4.25f}));
  EXPECT_EQ(file->get("a.bytes").data<uint8_t>()[2], 3);
}

}  // namespace
}  // namespace fluxgen
