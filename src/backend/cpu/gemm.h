// Row-major fp32 GEMMs for the CPU backend (CBLAS when built with it, else a blocked loop).
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace fluxgen::cpu {

// C[M,N] (+)= A[M,K] · B[N,K]ᵀ
void gemm_nt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate);
// C[M,N] (+)= A[M,K] · B[K,N]
void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate);

// C[M,N] = A[M,K] · W[N,K]ᵀ with W in any storage dtype, dequantized `rows` at a time.
void gemm_weight_nt(int64_t M, const float* A, const Tensor& W, float* C);

}  // namespace fluxgen::cpu
