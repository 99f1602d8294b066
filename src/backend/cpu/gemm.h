// Row-major fp32 GEMMs for the CPU backend: oneDNN when built with it, else CBLAS, else a blocked loop.
#pragma once
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace fluxgen::cpu {

// C[M,N] (+)= A[M,K] · B[N,K]ᵀ
void gemm_nt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate);
// C[M,N] (+)= A[M,K] · B[K,N]
void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate);

// Weights dequantized per band of gemm_weight_nt: 64 MiB of fp32, wide enough that each band is
// one large GEMM over every token at the library's full rate.
constexpr int64_t kWeightBandFloats = int64_t(1) << 24;
// C[M,N] = A[M,K] · W[N,K]ᵀ with W in any storage dtype, dequantized `band_floats` weights (whole
// rows) at a time.
void gemm_weight_nt(int64_t M, const float* A, const Tensor& W, float* C, int64_t band_floats = kWeightBandFloats);

// Threads a parallel loop of the CPU backend uses on this thread (OpenMP's, which oneDNN's GEMM
// shares; 1 without OpenMP): OMP_NUM_THREADS, or `--threads` once set.
int thread_count();
// `--threads`: the count for the calling thread and every thread that adopts it later (n >= 1).
void set_thread_count(int n);
// OpenMP keeps the count per thread: a thread that runs models (the server's job worker) calls this
// first so `--threads` applies there too. Nothing changes when --threads was not given.
void adopt_thread_count();

// Which GEMM runs and with which kernels ("oneDNN 2.6.3 sgemm, ISA avx512_core_bf16"), for
// benchmarks and logs.
std::string gemm_library();

}  // namespace fluxgen::cpu
