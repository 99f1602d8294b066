// Matrix products through cuBLASLt, in cuBLAS's column-major terms:
//   D[m, n] = alpha · op(A)[m, k] · op(B)[k, n]  (+ bias[i] on every row i of D)  (+ beta · D)
// A row-major matrix is the transpose of a column-major one with the same leading dimension; the
// backend's row-major products map onto this form (cuda_backend_linear.cpp, _image_ops.cpp).
// Plans (descriptors and the heuristic's algorithm) are cached per shape, types and alignment.
// Accumulation is always fp32 (CUBLAS_COMPUTE_32F: F32 operands stay exact fp32, no TF32).
#pragma once
#include <cstdint>

#include "tensor/dtype.h"

namespace fluxgen::cuda {

struct GemmOperand {
  const void* data = nullptr;
  DType dtype = DType::BF16;  // F32, BF16, F16, F8_E4M3, F8_E5M2
  int64_t ld = 0;             // leading dimension of the stored (column-major) matrix
  bool transposed = false;    // op(X) = Xᵀ
};

struct Gemm {
  int64_t m = 0, n = 0, k = 0;
  GemmOperand a, b;
  void* d = nullptr;
  DType d_dtype = DType::BF16;  // F32 or BF16
  int64_t ldd = 0;
  const void* bias = nullptr;   // m entries in d_dtype, or nullptr
  // FP8 operands: device pointers to their fp32 scales (the product is scaled by a_scale·b_scale).
  const float* a_scale = nullptr;
  const float* b_scale = nullptr;
  float alpha = 1.0f, beta = 0.0f;
  // Hopper's faster FP8 accumulation (fewer promotions to fp32), off by default for accuracy.
  bool fp8_fast_accumulation = false;
};

// Runs the product on the context's stream. Returns false, having run nothing, when cuBLASLt
// offers no algorithm for it (an FP8 type pair this GPU lacks, a misaligned operand), so the
// caller can fall back. A bias epilogue cuBLASLt lacks is replaced by a separate bias kernel.
bool try_gemm(const Gemm& g);
// The same, throwing a fluxgen::Error naming the product when there is no algorithm.
void gemm(const Gemm& g);

}  // namespace fluxgen::cuda
