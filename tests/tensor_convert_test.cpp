// convert() of a source that is not F32 works a chunk at a time (no fp32 copy of the whole tensor
// while a checkpoint loads): the bytes must be those of converting the whole tensor at once, for
// every kind of target (plain floats, NF4/FP4 blocks, GGUF blocks and super-blocks), with sizes
// that are not a whole number of chunks and a tail that is not a whole block.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {
namespace {

Tensor random_f32(int64_t n, uint32_t seed) {
  Tensor t = Tensor::empty({n});
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (int64_t i = 0; i < n; ++i) t.f32()[i] = normal(rng);
  t.f32()[n / 3] = 3.0f;  // an outlier in one block, as real weights have
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || a.nbytes() != b.nbytes()) return false;
  if (std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) != 0) return false;
  if (!dtype_is_quantized_block(a.dtype())) return true;
  return a.block_size() == b.block_size() && same_bytes(a.absmax(), b.absmax());
}

TEST(TensorConvert, ChunkedSourcesGiveTheBytesOfTheWholeTensor) {
  // 1.25 chunks of 2^20 elements; the first size ends in a partial NF4/FP4 block and an odd element.
  const int64_t odd = (int64_t(1) << 20) + (int64_t(1) << 18) + 37;
  const int64_t whole_superblocks = (odd / 256) * 256;
  for (const DType source : {DType::BF16, DType::F16}) {
    const Tensor plain = convert(random_f32(odd, 1), source);
    const Tensor as_f32 = to_f32(plain);  // what the whole-tensor path encodes
    for (const auto& [target, block] : {std::pair{DType::NF4, 64}, std::pair{DType::FP4, 128}, std::pair{DType::NF4, 4096}}) {
      const Tensor chunked = convert(plain, target, Overflow::Saturate, block);
      EXPECT_TRUE(same_bytes(chunked, convert(as_f32, target, Overflow::Saturate, block)))
          << dtype_name(source) << " -> " << dtype_name(target) << " block " << block;
    }
    for (const DType target : {DType::F8_E4M3, DType::F8_E5M2, DType::F32, DType::F16, DType::BF16}) {
      if (target == source) continue;
      EXPECT_TRUE(same_bytes(convert(plain, target, Overflow::Saturate), convert(as_f32, target, Overflow::Saturate)))
          << dtype_name(source) << " -> " << dtype_name(target);
    }
    if (source != DType::BF16) continue;  // the GGUF encoders are the slow ones (and see only floats)
    const Tensor blocks = convert(random_f32(whole_superblocks, 2), source);
    for (const DType target : {DType::Q8_0, DType::Q4_0, DType::Q5_1, DType::Q4_K, DType::Q6_K, DType::Q2_K}) {
      EXPECT_TRUE(same_bytes(convert(blocks, target), convert(to_f32(blocks), target)))
          << dtype_name(source) << " -> " << dtype_name(target);
    }
  }
  // A quantized source converts chunk by chunk too (NF4 -> FP8).
  const Tensor nf4 = convert(random_f32(odd, 3), DType::NF4, Overflow::Saturate, 64);
  EXPECT_TRUE(same_bytes(convert(nf4, DType::F8_E4M3, Overflow::Saturate), convert(to_f32(nf4), DType::F8_E4M3, Overflow::Saturate)));
}

TEST(TensorConvert, BadBlockSizesAreRefused) {
  const Tensor t = convert(random_f32(256, 4), DType::BF16);
  for (const int block : {0, -64, 63})
    EXPECT_THROW(convert(t, DType::NF4, Overflow::Saturate, block), Error) << block;
}

}  // namespace
}  // namespace fluxgen
