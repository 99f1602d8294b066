// Grid sizing shared by the kernel launchers (host side).
#pragma once
#include <algorithm>
#include <cstdint>

namespace fluxgen::cuda::kernels {

constexpr int kThreads = 256;

// Blocks for `work` items at `per_block` items per block, capped for grid-stride loops.
inline unsigned grid_for(int64_t work, int64_t per_block = kThreads) {
  const int64_t blocks = (work + per_block - 1) / per_block;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, int64_t(1) << 20));
}

}  // namespace fluxgen::cuda::kernels
