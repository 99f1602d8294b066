// FlashAttention-2-style forward pass on tensor cores (mma.sync m16n8k16, bf16 in, fp32 out).
// A block of 4 warps owns 64 queries of one (batch, head); each warp owns 16 of them and keeps
// their Q fragments, fp32 output accumulators and running softmax statistics in registers. Key
// and value tiles of 64 rows stream through shared memory, double-buffered with cp.async.
// Scores live in the log2 domain (scale·log2 e folded in) so each probability is one exp2.
#include <cstdint>

#include "backend/cuda/attention_kernels.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"

namespace fluxgen::cuda::kernels {

namespace {

constexpr int kBQ = 64;       // queries per block
constexpr int kBK = 64;       // keys per tile
constexpr int kWarps = 4;
constexpr int kPad = 8;       // bf16 per shared row of padding: conflict-free fragment loads
constexpr float kLog2e = 1.4426950408889634f;

template <int HD>
__host__ __device__ constexpr int row_stride() { return HD + kPad; }
template <int HD>
constexpr size_t shared_bytes() { return size_t(kBQ + 4 * kBK) * row_stride<HD>() * sizeof(bf16); }

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, zero-filled when !valid (rows past the sequence end).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Rows [row0, row0 + 64) of a [rows, HD] bf16 matrix into shared rows of row_stride<HD>().
template <int HD>
__device__ __forceinline__ void load_tile(bf16* smem, const bf16* g, int64_t row0, int64_t rows) {
  constexpr int kChunks = HD / 8;  // 16-byte chunks per row
  for (int c = threadIdx.x; c < 64 * kChunks; c += kWarps * 32) {
    const int r = c / kChunks, ch = c % kChunks;
    const bool valid = row0 + r < rows;
    const bf16* src = g + (valid ? (row0 + r) * HD + ch * 8 : 0);
    cp_async16(smem + r * row_stride<HD>() + ch * 8, src, valid);
  }
}

__device__ __forceinline__ void mma_bf16(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two 8x8 bf16 matrices per pair of n-tiles, transposed on the way: B fragments of V.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void* row_address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_address)));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const uint32_t l = __bfloat16_as_ushort(__float2bfloat16_rn(lo));
  const uint32_t h = __bfloat16_as_ushort(__float2bfloat16_rn(hi));
  return l | (h << 16);
}

__device__ __forceinline__ uint32_t ld_shared_u32(const bf16* p) { return *reinterpret_cast<const uint32_t*>(p); }

template <int HD, bool HAS_BIAS, bool CAUSAL>
__global__ void __launch_bounds__(kWarps * 32) flash_attention_kernel(AttentionArgs a) {
  constexpr int S = row_stride<HD>();
  constexpr int kSteps = HD / 16;   // k-steps of Q·Kᵀ
  constexpr int kOTiles = HD / 8;   // n-tiles of the output
  constexpr int kSTiles = kBK / 8;  // n-tiles of the scores
  extern __shared__ __align__(16) unsigned char shared_raw[];
  bf16* Qs = reinterpret_cast<bf16*>(shared_raw);
  bf16* Ks = Qs + kBQ * S;          // [2][kBK][S]
  bf16* Vs = Ks + 2 * kBK * S;      // [2][kBK][S]

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int64_t bh = blockIdx.y, b = bh / a.H, h = bh % a.H;
  const int64_t q0 = int64_t(blockIdx.x) * kBQ;
  const bf16* Q = static_cast<const bf16*>(a.q) + bh * a.Lq * HD;
  const bf16* K = static_cast<const bf16*>(a.k) + bh * a.Lk * HD;
  const bf16* V = static_cast<const bf16*>(a.v) + bh * a.Lk * HD;
  bf16* O = static_cast<bf16*>(a.o) + bh * a.Lq * HD;
  const int64_t bias_base = b * a.bias_batch_stride + h * a.bias_head_stride;

  const int64_t key_end = CAUSAL ? min(a.Lk, q0 + kBQ) : a.Lk;
  const int tiles = static_cast<int>((key_end + kBK - 1) / kBK);

  load_tile<HD>(Qs, Q, q0, a.Lq);
  if (tiles > 0) load_tile<HD>(Ks, K, 0, a.Lk), load_tile<HD>(Vs, V, 0, a.Lk);
  cp_async_commit();

  // The two query rows this thread holds statistics for, and their accumulators.
  const int64_t row_lo = q0 + warp * 16 + g, row_hi = row_lo + 8;
  uint32_t qf[kSteps][4];
  float acc[kOTiles][4];
#pragma unroll
  for (int i = 0; i < kOTiles; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.0f;
  float m_lo = -INFINITY, m_hi = -INFINITY, l_lo = 0.0f, l_hi = 0.0f;
  const float scale2 = a.scale * kLog2e;

  for (int tile = 0; tile < tiles; ++tile) {
    const int buf = tile & 1;
    if (tile + 1 < tiles) {
      const int nb = (tile + 1) & 1;
      load_tile<HD>(Ks + nb * kBK * S, K, int64_t(tile + 1) * kBK, a.Lk);
      load_tile<HD>(Vs + nb * kBK * S, V, int64_t(tile + 1) * kBK, a.Lk);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();

    if (tile == 0) {
#pragma unroll
      for (int ks = 0; ks < kSteps; ++ks) {
        const bf16* base = Qs + (warp * 16 + g) * S + ks * 16 + 2 * t;
        qf[ks][0] = ld_shared_u32(base);
        qf[ks][1] = ld_shared_u32(base + 8 * S);
        qf[ks][2] = ld_shared_u32(base + 8);
        qf[ks][3] = ld_shared_u32(base + 8 * S + 8);
      }
    }

    // Scores of this warp's 16 queries against the tile's 64 keys.
    const bf16* Kt = Ks + buf * kBK * S;
    float s[kSTiles][4];
#pragma unroll
    for (int nt = 0; nt < kSTiles; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
      for (int ks = 0; ks < kSteps; ++ks) {
        const bf16* kb = Kt + (nt * 8 + g) * S + ks * 16 + 2 * t;
        mma_bf16(s[nt], qf[ks], ld_shared_u32(kb), ld_shared_u32(kb + 8));
      }
    }

    // Scale, bias, masks; the tile's row maxima.
    const int64_t k0 = int64_t(tile) * kBK;
    float tmax_lo = -INFINITY, tmax_hi = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < kSTiles; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t row = e < 2 ? row_lo : row_hi;
        const int64_t col = k0 + nt * 8 + 2 * t + (e & 1);
        float v = s[nt][e] * scale2;
        if (HAS_BIAS && row < a.Lq && col < a.Lk) v += load_param(a.bias, bias_base + row * a.Lk + col) * kLog2e;
        if (col >= a.Lk || (CAUSAL && col > row)) v = -INFINITY;
        s[nt][e] = v;
      }
      tmax_lo = fmaxf(tmax_lo, fmaxf(s[nt][0], s[nt][1]));
      tmax_hi = fmaxf(tmax_hi, fmaxf(s[nt][2], s[nt][3]));
    }
    tmax_lo = fmaxf(tmax_lo, __shfl_xor_sync(0xffffffffu, tmax_lo, 1));
    tmax_lo = fmaxf(tmax_lo, __shfl_xor_sync(0xffffffffu, tmax_lo, 2));
    tmax_hi = fmaxf(tmax_hi, __shfl_xor_sync(0xffffffffu, tmax_hi, 1));
    tmax_hi = fmaxf(tmax_hi, __shfl_xor_sync(0xffffffffu, tmax_hi, 2));
    const float mnew_lo = fmaxf(m_lo, tmax_lo), mnew_hi = fmaxf(m_hi, tmax_hi);
    // A row with every key masked so far keeps reference 0: exp2(−inf − 0) = 0, never NaN.
    const float ref_lo = mnew_lo == -INFINITY ? 0.0f : mnew_lo;
    const float ref_hi = mnew_hi == -INFINITY ? 0.0f : mnew_hi;
    const float corr_lo = exp2f(m_lo - ref_lo), corr_hi = exp2f(m_hi - ref_hi);
    m_lo = mnew_lo;
    m_hi = mnew_hi;
    float sum_lo = 0.0f, sum_hi = 0.0f;
#pragma unroll
    for (int nt = 0; nt < kSTiles; ++nt) {
      s[nt][0] = exp2f(s[nt][0] - ref_lo);
      s[nt][1] = exp2f(s[nt][1] - ref_lo);
      s[nt][2] = exp2f(s[nt][2] - ref_hi);
      s[nt][3] = exp2f(s[nt][3] - ref_hi);
      sum_lo += s[nt][0] + s[nt][1];
      sum_hi += s[nt][2] + s[nt][3];
    }
    // Per-thread partial sums: every thread of a row scales by the same correction, so the quad's
    // partials add up to the row sum at the end.
    l_lo = l_lo * corr_lo + sum_lo;
    l_hi = l_hi * corr_hi + sum_hi;
#pragma unroll
    for (int i = 0; i < kOTiles; ++i) {
      acc[i][0] *= corr_lo;
      acc[i][1] *= corr_lo;
      acc[i][2] *= corr_hi;
      acc[i][3] *= corr_hi;
    }

    // O += P·V: the score accumulators of two n-tiles are exactly one A fragment of P.
    const bf16* Vt = Vs + buf * kBK * S;
#pragma unroll
    for (int j = 0; j < kBK / 16; ++j) {
      uint32_t pf[4];
      pf[0] = pack_bf16(s[2 * j][0], s[2 * j][1]);
      pf[1] = pack_bf16(s[2 * j][2], s[2 * j][3]);
      pf[2] = pack_bf16(s[2 * j + 1][0], s[2 * j + 1][1]);
      pf[3] = pack_bf16(s[2 * j + 1][2], s[2 * j + 1][3]);
#pragma unroll
      for (int nt = 0; nt < kOTiles; nt += 2) {
        uint32_t vb[4];
        const int key = j * 16 + (lane % 8) + ((lane / 8) % 2) * 8;
        ldmatrix_x4_trans(vb, Vt + key * S + nt * 8 + (lane / 16) * 8);
        mma_bf16(acc[nt], pf, vb[0], vb[1]);
        mma_bf16(acc[nt + 1], pf, vb[2], vb[3]);
      }
    }
    __syncthreads();  // this buffer is refilled by the next iteration's prefetch
  }
  cp_async_wait<0>();

  l_lo += __shfl_xor_sync(0xffffffffu, l_lo, 1);
  l_lo += __shfl_xor_sync(0xffffffffu, l_lo, 2);
  l_hi += __shfl_xor_sync(0xffffffffu, l_hi, 1);
  l_hi += __shfl_xor_sync(0xffffffffu, l_hi, 2);
  const float inv_lo = l_lo > 0.0f ? 1.0f / l_lo : 0.0f;
  const float inv_hi = l_hi > 0.0f ? 1.0f / l_hi : 0.0f;
#pragma unroll
  for (int i = 0; i < kOTiles; ++i) {
    const int col = i * 8 + 2 * t;
    if (row_lo < a.Lq)
      *reinterpret_cast<uint32_t*>(O + row_lo * HD + col) = pack_bf16(acc[i][0] * inv_lo, acc[i][1] * inv_lo);
    if (row_hi < a.Lq)
      *reinterpret_cast<uint32_t*>(O + row_hi * HD + col) = pack_bf16(acc[i][2] * inv_hi, acc[i][3] * inv_hi);
  }
}

template <int HD, bool HAS_BIAS, bool CAUSAL>
void launch(const AttentionArgs& a, cudaStream_t stream) {
  auto kernel = flash_attention_kernel<HD, HAS_BIAS, CAUSAL>;
  constexpr size_t bytes = shared_bytes<HD>();
  if (bytes > 48 * 1024)
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
               "flash attention shared memory");
  const dim3 grid(static_cast<unsigned>((a.Lq + kBQ - 1) / kBQ), static_cast<unsigned>(a.B * a.H));
  kernel<<<grid, kWarps * 32, bytes, stream>>>(a);
  check_launch("flash_attention");
}

template <int HD>
void launch_head_dim(const AttentionArgs& a, cudaStream_t stream) {
  const bool bias = a.bias.p != nullptr;
  if (bias && a.causal) return launch<HD, true, true>(a, stream);
  if (bias) return launch<HD, true, false>(a, stream);
  if (a.causal) return launch<HD, false, true>(a, stream);
  launch<HD, false, false>(a, stream);
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool flash_attention_supported(const AttentionArgs& a, size_t shared_optin) {
  if (a.t != DType::BF16 || a.D != a.Dv || (a.D != 32 && a.D != 64 && a.D != 128)) return false;
  if (!aligned16(a.q) || !aligned16(a.k) || !aligned16(a.v) || !aligned16(a.o)) return false;
  if (a.B * a.H > 65535) return false;
  const size_t need = a.D == 128 ? shared_bytes<128>() : a.D == 64 ? shared_bytes<64>() : shared_bytes<32>();
  return need <= shared_optin;
}

void flash_attention(const AttentionArgs& a, cudaStream_t stream) {
  if (a.Lq <= 0) return;
  switch (a.D) {
    case 32: return launch_head_dim<32>(a, stream);
    case 64: return launch_head_dim<64>(a, stream);
    default: return launch_head_dim<128>(a, stream);
  }
}

}  // namespace fluxgen::cuda::kernels
