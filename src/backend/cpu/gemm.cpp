#include "backend/cpu/gemm.h"

#include <algorithm>
#include <vector>

#include "tensor/convert.h"
#include "util/error.h"

#ifdef FLUXGEN_WITH_BLAS
#include <cblas.h>
#endif

namespace fluxgen::cpu {

#ifdef FLUXGEN_WITH_BLAS

void gemm_nt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K),
              1.0f, A, static_cast<int>(lda), B, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f, C,
              static_cast<int>(ldc));
}

void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
              static_cast<int>(K), 1.0f, A, static_cast<int>(lda), B, static_cast<int>(ldb), accumulate ? 1.0f : 0.0f,
              C, static_cast<int>(ldc));
}

#else

void gemm_nt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
#pragma omp parallel for schedule(static) if (M * N * K > 65536)
  for (int64_t m = 0; m < M; ++m) {
    const float* a = A + m * lda;
    for (int64_t n = 0; n < N; ++n) {
      const float* b = B + n * ldb;
      // Eight partial sums let the compiler vectorise without reassociating a single sum.
      float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t k = 0;
      for (; k + 8 <= K; k += 8)
        for (int j = 0; j < 8; ++j) s[j] += a[k + j] * b[k + j];
      float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
      for (; k < K; ++k) sum += a[k] * b[k];
      C[m * ldc + n] = accumulate ? C[m * ldc + n] + sum : sum;
    }
  }
}

void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
#pragma omp parallel for schedule(static) if (M * N * K > 65536)
  for (int64_t m = 0; m < M; ++m) {
    float* c = C + m * ldc;
    if (!accumulate) std::fill(c, c + N, 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      const float a = A[m * lda + k];
      const float* b = B + k * ldb;
      for (int64_t n = 0; n < N; ++n) c[n] += a * b[n];
    }
  }
}

#endif

void gemm_weight_nt(int64_t M, const float* A, const Tensor& W, float* C) {
  check(W.ndim() >= 2, "linear: weight must have at least 2 dimensions, got ", W.describe());
  const int64_t N = W.dim(0);
  const int64_t K = W.numel() / std::max<int64_t>(N, 1);
  if (W.dtype() == DType::F32) {
    gemm_nt(M, N, K, A, K, W.data<float>(), K, C, N, false);
    return;
  }
  // Dequantize a band of weight rows (about 4 MiB of fp32), multiply, move on.
  const int64_t rows = std::clamp<int64_t>((int64_t(1) << 20) / std::max<int64_t>(K, 1), 1, N);
  std::vector<float> tile(static_cast<size_t>(rows * K));
  for (int64_t r0 = 0; r0 < N; r0 += rows) {
    const int64_t nr = std::min(rows, N - r0);
#pragma omp parallel for schedule(static) if (nr * K > 65536)
    for (int64_t r = 0; r < nr; ++r) decode_range(W, (r0 + r) * K, K, tile.data() + r * K);
    gemm_nt(M, nr, K, A, K, tile.data(), K, C + r0, N, false);
  }
}

}  // namespace fluxgen::cpu
