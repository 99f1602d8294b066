#include "sampling/torch_cuda_rng.h"

// u and v are single fused multiply-adds on the GPU (nvcc contracts them); nothing else may be
// fused here.
#include "sampling/no_fp_contract.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "sampling/curand_philox.h"
#include "util/error.h"

namespace fluxgen::sampling {
namespace {

constexpr int64_t kBlockSize = 256;  // PyTorch's block_size_bound
constexpr int64_t kUnroll = 4;       // float4 per curand_normal4 call
constexpr int64_t kOffsetPerCall = 4;  // max_generator_offsets_per_curand_call

// cuRAND's constants, as the compiler folds them to float.
constexpr float kTwoPow32Inv = 2.3283064e-10f;
constexpr float kTwoPow32InvTwoPi = 2.3283064e-10f * 6.2831855f;
// __sinf/__cosf scale the argument to turns with this float constant (1/(2 pi)).
constexpr float kInvTwoPi = 0.15915493667125701904f;

// a * b rounded toward zero (FMUL.RZ): the exact product of two floats fits in a double.
float multiply_round_toward_zero(float a, float b) {
  const double exact = static_cast<double>(a) * static_cast<double>(b);
  float r = static_cast<float>(exact);
  if (std::fabs(static_cast<double>(r)) > std::fabs(exact)) r = std::nextafter(r, 0.0f);
  return r;
}

struct NormalPair {
  float first, second;  // s sin v, s cos v
};

// _curand_box_muller(x, y) as the device evaluates it.
NormalPair box_muller(uint32_t x, uint32_t y) {
  const float u = std::fma(static_cast<float>(x), kTwoPow32Inv, kTwoPow32Inv / 2);
  const float v = std::fma(static_cast<float>(y), kTwoPow32InvTwoPi, kTwoPow32InvTwoPi / 2);
  const float log_u = static_cast<float>(std::log(static_cast<double>(u)));  // logf, correctly rounded
  const float s = std::sqrt(-2.0f * log_u);
  const double turns = multiply_round_toward_zero(v, kInvTwoPi);
  const double angle = 2.0 * std::numbers::pi * turns;
  const float sin_v = static_cast<float>(std::sin(angle));
  const float cos_v = static_cast<float>(std::cos(angle));
  return {sin_v * s, cos_v * s};
}

}  // namespace

std::array<float, 4> curand_normal4(CurandPhiloxState& state) {
  const Words4 w = state.next4();
  const NormalPair a = box_muller(w[0], w[1]);
  const NormalPair b = box_muller(w[2], w[3]);
  return {a.first, a.second, b.first, b.second};
}

TorchCudaGenerator::TorchCudaGenerator(uint64_t seed, CudaLaunchGeometry geometry)
    : seed_(seed), geometry_(geometry) {
  check(geometry.multiprocessor_count >= 1 && geometry.multiprocessor_count <= 100000,
        "CUDA launch geometry: multiprocessor count must be in [1, 100000], got ", geometry.multiprocessor_count);
  check(geometry.max_threads_per_multiprocessor >= kBlockSize && geometry.max_threads_per_multiprocessor <= 65536,
        "CUDA launch geometry: max threads per multiprocessor must be in [", kBlockSize, ", 65536], got ",
        geometry.max_threads_per_multiprocessor);
}

std::vector<float> TorchCudaGenerator::randn(int64_t numel) {
  check(numel >= 0, "torch CUDA randn: negative element count ", numel);
  check(numel <= std::numeric_limits<int32_t>::max(), "torch CUDA randn: ", numel,
        " elements need PyTorch's split 64-bit launch, which is not modelled (at most 2^31 - 1)");
  std::vector<float> out(static_cast<size_t>(numel));
  if (numel == 0) return out;

  // calc_execution_policy
  const int64_t blocks_per_sm = geometry_.max_threads_per_multiprocessor / kBlockSize;
  const int64_t grid = std::min<int64_t>(geometry_.multiprocessor_count * blocks_per_sm,
                                         (numel + kBlockSize - 1) / kBlockSize);
  const int64_t stride = kBlockSize * grid;
  const int64_t iterations = (numel - 1) / (stride * kUnroll) + 1;
  const uint64_t counter_offset = static_cast<uint64_t>(iterations) * kOffsetPerCall;

  // distribution_elementwise_grid_stride_kernel, one thread at a time. Threads whose first index
  // is past the end draw nothing that is stored.
  const int64_t rounded = iterations * stride * kUnroll;
  const int64_t active_threads = std::min(stride, numel);
  for (int64_t idx = 0; idx < active_threads; ++idx) {
    CurandPhiloxState state(seed_, static_cast<uint64_t>(idx), offset_);
    for (int64_t li = idx; li < rounded; li += stride * kUnroll) {
      const std::array<float, 4> values = curand_normal4(state);
      for (int64_t ii = 0; ii < kUnroll; ++ii) {
        const int64_t e = li + stride * ii;
        if (e < numel) out[static_cast<size_t>(e)] = values[static_cast<size_t>(ii)];
      }
    }
  }
  // philox_cuda_state(counter_offset): the next call starts past every word this one could use.
  offset_ += (counter_offset + 3) / 4 * 4;
  return out;
}

std::vector<float> torch_randn_cuda(uint64_t seed, int64_t numel, CudaLaunchGeometry geometry) {
  return TorchCudaGenerator(seed, geometry).randn(numel);
}

}  // namespace fluxgen::sampling
