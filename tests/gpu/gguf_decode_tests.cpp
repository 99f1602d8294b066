// GGUF block weights (Q8_0 ... Q6_K) on the GPU: kept as raw blocks by upload_weight and decoded
// on the device bit for bit as the CPU decoders (tensor/gguf_blocks.h) and ggml's own
// dequantize_row_* (the goldens in tests/data/gguf) decode them.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "backend/cuda/convert_kernels.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"
#include "tensor/float_codecs.h"
#include "tensor/gguf_blocks.h"

namespace fluxgen::gpu_test {
namespace {

using gguf::GgmlType;

const std::vector<GgmlType> kBlockTypes = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                                           GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                           GgmlType::Q5_K, GgmlType::Q6_K};

// Where each type keeps its fp16 scales (d, and dmin or m where it has one).
std::vector<size_t> scale_offsets(GgmlType t) {
  using namespace gguf;
  switch (t) {
    case GgmlType::Q8_0: return {offsetof(BlockQ8_0, d)};
    case GgmlType::Q4_0: return {offsetof(BlockQ4_0, d)};
    case GgmlType::Q4_1: return {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)};
    case GgmlType::Q5_0: return {offsetof(BlockQ5_0, d)};
    case GgmlType::Q5_1: return {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)};
    case GgmlType::Q2_K: return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case GgmlType::Q3_K: return {offsetof(BlockQ3_K, d)};
    case GgmlType::Q4_K: return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case GgmlType::Q5_K: return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case GgmlType::Q6_K: return {offsetof(BlockQ6_K, d)};
    default: fail("scale_offsets: not a block type");
  }
}

// Random bytes with every fp16 scale a random finite value (any sign, subnormals and zero
// included): all codes and sub-scales occur, and no decoded value is infinite or NaN.
std::vector<uint8_t> random_blocks(GgmlType t, int64_t blocks, uint32_t seed) {
  const auto& info = gguf::ggml_type_info(t);
  std::vector<uint8_t> out(static_cast<size_t>(blocks) * static_cast<size_t>(info.block_bytes));
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  for (int64_t k = 0; k < blocks; ++k) {
    for (size_t off : scale_offsets(t)) {
      uint16_t h = static_cast<uint16_t>(rng());
      if ((h & 0x7C00u) == 0x7C00u) h = static_cast<uint16_t>(h & ~0x4000u);  // exponent 31 -> 15: finite
      std::memcpy(out.data() + static_cast<size_t>(k) * static_cast<size_t>(info.block_bytes) + off, &h, 2);
    }
  }
  return out;
}

Tensor gguf_tensor(GgmlType t, const std::vector<uint8_t>& bytes, const Shape& shape) {
  Tensor w = Tensor::empty(shape, gguf::dtype_of(t));
  CHECK_TRUE(w.nbytes() == bytes.size());
  std::memcpy(w.raw_data(), bytes.data(), bytes.size());
  return w;
}

// What the CPU decoder makes of every element.
std::vector<float> cpu_decode(GgmlType t, const std::vector<uint8_t>& bytes) {
  const auto& info = gguf::ggml_type_info(t);
  const int64_t blocks = static_cast<int64_t>(bytes.size()) / info.block_bytes;
  std::vector<float> out(static_cast<size_t>(blocks * info.block_elems));
  gguf::dequantize_blocks(t, bytes.data(), blocks, out.data());
  return out;
}

std::vector<uint16_t> to_bf16_bits(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = f32_to_bf16(v[i]);
  return out;
}

// How many of the n values at `got` differ in any bit from `want`.
template <typename T>
size_t bit_mismatches(const void* got, const std::vector<T>& want, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) bad += std::memcmp(static_cast<const T*>(got) + i, &want[i], sizeof(T)) != 0;
  return bad;
}

void record_exact(size_t mismatches, size_t n, const std::string& what) {
  record(mismatches == 0, what + ": " + std::to_string(mismatches) + " of " + std::to_string(n) + " values differ");
}

std::string name_of(GgmlType t) { return std::string(gguf::ggml_type_info(t).name); }

// Raw bytes into a device buffer at `offset` bytes from an allocation's start (any alignment).
Tensor device_bytes(const std::vector<uint8_t>& bytes, size_t offset) {
  Tensor buf = cuda::device_empty({static_cast<int64_t>(bytes.size() + offset)}, DType::U8);
  cuda::check_cuda(cudaMemcpyAsync(static_cast<uint8_t*>(buf.raw_data()) + offset, bytes.data(), bytes.size(),
                                   cudaMemcpyHostToDevice, cuda::Context::get().stream()),
                   "copy test blocks");
  return buf;
}

// kernels::decode of the first n elements from blocks `offset` bytes into a buffer, written
// `dst_skip` elements into the output (1: not 16-byte aligned, the scalar stores); the element
// after the n-th must stay unwritten (the allocation's NaN poison).
void check_direct_decode(GgmlType t, const std::vector<uint8_t>& bytes, const std::vector<float>& want, int64_t n,
                         size_t offset, int64_t dst_skip, DType dst_type) {
  const Tensor src = device_bytes(bytes, offset);
  Tensor dst = cuda::device_empty({n + dst_skip + 1}, dst_type);
  const size_t elem = dst_type == DType::F32 ? 4 : 2;
  cuda::kernels::decode(gguf::dtype_of(t), static_cast<const uint8_t*>(src.raw_data()) + offset, nullptr, 1,
                        cuda::kernels::CodeTable{}, n, dst_type,
                        static_cast<uint8_t*>(dst.raw_data()) + dst_skip * int64_t(elem),
                        cuda::Context::get().stream());
  const Tensor host = cuda::host_copy(dst);
  const auto* base = static_cast<const uint8_t*>(host.raw_data()) + dst_skip * int64_t(elem);
  const std::string what = name_of(t) + " " + std::string(dtype_name(dst_type)) + " n=" + std::to_string(n) +
                           " source +" + std::to_string(offset) + " B, output +" + std::to_string(dst_skip);
  size_t bad;
  if (dst_type == DType::F32) {
    bad = bit_mismatches(base, want, static_cast<size_t>(n));
  } else {
    bad = bit_mismatches(base, to_bf16_bits(want), static_cast<size_t>(n));
  }
  record_exact(bad, static_cast<size_t>(n), "decode " + what);
  float after = 0.0f;
  if (dst_type == DType::F32) {
    std::memcpy(&after, base + n * 4, 4);
  } else {
    uint16_t h;
    std::memcpy(&h, base + n * 2, 2);
    after = bf16_to_f32(h);
  }
  record(std::isnan(after), "decode " + what + " writes nothing past n");
}

GPU_TEST(gguf_decode_every_block_type_exactly) {
  uint32_t seed = 1;
  for (GgmlType t : kBlockTypes) {
    const auto& info = gguf::ggml_type_info(t);
    const DType dt = gguf::dtype_of(t);
    for (int64_t blocks : {int64_t(1), int64_t(7), int64_t(33)}) {
      const std::vector<uint8_t> bytes = random_blocks(t, blocks, seed++);
      const std::vector<float> want = cpu_decode(t, bytes);
      const int64_t n = static_cast<int64_t>(want.size());
      const std::string what = name_of(t) + " x" + std::to_string(blocks) + " blocks";
      // Resident as the raw blocks, decoded per use.
      use(modes()[0]);
      const Tensor w = gguf_tensor(t, bytes, {n});
      const Tensor resident = gpu().upload_weight(w);
      CHECK_TRUE(resident.dtype() == dt && resident.device() == Device::CUDA && resident.held_bytes() == bytes.size());
      const Tensor f32 = cuda::host_copy(gpu().dequantize(resident));
      CHECK_TRUE(f32.dtype() == DType::F32 && f32.numel() == n);
      record_exact(bit_mismatches(f32.raw_data(), want, want.size()), want.size(), "f32 dequantize " + what);
      use(modes()[1]);
      const Tensor bf16 = cuda::host_copy(gpu().dequantize(resident));
      CHECK_TRUE(bf16.dtype() == DType::BF16 && bf16.numel() == n);
      record_exact(bit_mismatches(bf16.raw_data(), to_bf16_bits(want), want.size()), want.size(),
                   "bf16 dequantize " + what);
      // upload (an activation) decodes too; download goes through the host decoder.
      record_exact(bit_mismatches(cuda::host_copy(gpu().upload(w)).raw_data(), to_bf16_bits(want), want.size()),
                   want.size(), "bf16 upload " + what);
      record_exact(bit_mismatches(gpu().download(resident).raw_data(), want, want.size()), want.size(),
                   "download " + what);
      if (blocks != 7) continue;
      // Any source alignment, unaligned outputs, and lengths that end inside a group of eight and
      // inside a block.
      for (DType out : {DType::F32, DType::BF16}) {
        check_direct_decode(t, bytes, want, n, 0, 0, out);
        check_direct_decode(t, bytes, want, n - 3, 1, 0, out);
        check_direct_decode(t, bytes, want, n - info.block_elems / 2 - 5, 3, 1, out);
        check_direct_decode(t, bytes, want, 8 * 3 + 1, 2, 1, out);
      }
    }
  }
}

GPU_TEST(gguf_decode_matches_ggml_goldens) {
  use(modes()[0]);
  for (GgmlType t : kBlockTypes) {
    std::string lower = name_of(t);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string dir = std::string(FLUXGEN_TEST_FIXTURES) + "/../data/gguf/";
    std::ifstream bin(dir + lower + ".blocks", std::ios::binary), fin(dir + lower + ".f32", std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(bin)), std::istreambuf_iterator<char>());
    const std::vector<char> golden_raw((std::istreambuf_iterator<char>(fin)), std::istreambuf_iterator<char>());
    const auto& info = gguf::ggml_type_info(t);
    const bool read = !bytes.empty() && bytes.size() % static_cast<size_t>(info.block_bytes) == 0 &&
                      golden_raw.size() == bytes.size() / static_cast<size_t>(info.block_bytes) *
                                               static_cast<size_t>(info.block_elems) * 4;
    record(read, "golden " + lower + ".blocks/.f32 read from " + dir);
    if (!read) continue;
    std::vector<float> golden(golden_raw.size() / 4);
    std::memcpy(golden.data(), golden_raw.data(), golden_raw.size());
    const Tensor resident = gpu().upload_weight(gguf_tensor(t, bytes, {static_cast<int64_t>(golden.size())}));
    const Tensor got = cuda::host_copy(gpu().dequantize(resident));
    record_exact(bit_mismatches(got.raw_data(), golden, golden.size()), golden.size(), "ggml's decode of " + lower);
  }
}

// The layers that use GGUF weights on the GPU: a linear (M = 2: small_batch_linear decoding the
// blocks in registers; M = 37: the weight decoded into the compute dtype, then the GEMM) and an
// embedding lookup (rows decoded where they are read), against the CPU backend over the same blocks.
GPU_TEST(gguf_weights_in_linear_and_embedding) {
  uint32_t seed = 100;
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q4_K, GgmlType::Q6_K}) {
    const int64_t K = 512, N = 40;
    const auto& info = gguf::ggml_type_info(t);
    const std::vector<uint8_t> bytes = random_blocks(t, N * K / info.block_elems, seed++);
    const std::vector<float> want = cpu_decode(t, bytes);
    const Tensor w = gguf_tensor(t, bytes, {N, K});
    for (const Mode& m : modes()) {
      use(m);
      const Tensor resident = gpu().upload_weight(w);
      for (int64_t M : {int64_t(2), int64_t(37)}) {
        const Tensor x = random({M, K}, seed++);
        expect_close("linear " + name_of(t) + " M=" + std::to_string(M), gpu().linear(gpu().upload(x), resident, nullptr),
                     cpu().linear(x, w, nullptr), m.tolerance);
      }
      Tensor ids = Tensor::empty({4}, DType::I64);
      const int64_t rows[4] = {N - 1, 0, 17, 17};
      for (int i = 0; i < 4; ++i) ids.data<int64_t>()[i] = rows[i];
      const Tensor got = cuda::host_copy(gpu().embedding(ids, resident));
      std::vector<float> expected;
      for (int64_t r : rows) expected.insert(expected.end(), want.begin() + r * K, want.begin() + (r + 1) * K);
      const size_t bad = m.activations == DType::F32 ? bit_mismatches(got.raw_data(), expected, expected.size())
                                                     : bit_mismatches(got.raw_data(), to_bf16_bits(expected), expected.size());
      record_exact(bad, expected.size(), std::string(m.name) + " embedding rows of " + name_of(t));
    }
  }
}

}  // namespace
}  // namespace fluxgen::gpu_test
