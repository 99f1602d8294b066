#include "backend/cpu/gemm.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "tensor/convert.h"
#include "util/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(FLUXGEN_WITH_DNNL)
#include <dnnl.h>
#elif defined(FLUXGEN_WITH_BLAS)
#include <cblas.h>
extern "C" char* openblas_get_corename(void) __attribute__((weak));
#endif

namespace fluxgen::cpu {

#if defined(FLUXGEN_WITH_DNNL)

namespace {
void dnnl_gemm(char transb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
               int64_t ldb, float* C, int64_t ldc, bool accumulate) {
  if (M == 0 || N == 0) return;
  const dnnl_status_t st =
      dnnl_sgemm('N', transb, M, N, K, 1.0f, A, lda, B, ldb, accumulate ? 1.0f : 0.0f, C, ldc);
  check(st == dnnl_success, "oneDNN sgemm ", M, "x", N, "x", K, " failed (status ", int(st), ")");
}

const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}
}  // namespace

void gemm_nt(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
  dnnl_gemm('T', M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
             int64_t ldc, bool accumulate) {
  dnnl_gemm('N', M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

std::string gemm_library() {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " sgemm, ISA " + isa_name(dnnl_get_effective_cpu_isa());
}

#elif defined(FLUXGEN_WITH_BLAS)

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

std::string gemm_library() {
  return std::string("CBLAS sgemm") +
         (openblas_get_corename ? std::string(" (OpenBLAS core ") + openblas_get_corename() + ")" : "");
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

std::string gemm_library() { return "built-in GEMM (no oneDNN or CBLAS at build time)"; }

#endif

int thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace {
std::atomic<int> configured_threads{0};  // 0: as OpenMP decides (OMP_NUM_THREADS or every core)
}  // namespace

void set_thread_count(int n) {
  check(n >= 1, "--threads: need at least 1, got ", n);
  configured_threads = n;
  adopt_thread_count();
}

void adopt_thread_count() {
#ifdef _OPENMP
  if (const int n = configured_threads.load(); n > 0) omp_set_num_threads(n);
#endif
}

void gemm_weight_nt(int64_t M, const float* A, const Tensor& W, float* C, int64_t band_floats) {
  check(W.ndim() >= 2, "linear: weight must have at least 2 dimensions, got ", W.describe());
  const int64_t N = W.dim(0);
  const int64_t K = W.numel() / std::max<int64_t>(N, 1);
  if (W.dtype() == DType::F32) {
    gemm_nt(M, N, K, A, K, W.data<float>(), K, C, N, false);
    return;
  }
  // Decode a band of weight rows into fp32 and multiply it against every token at once: one large
  // GEMM per band keeps the library at its full rate (each band re-reads the activations, so bands
  // are wide). The band buffer belongs to the calling thread and is reused from call
  // to call, so a step does not fault in fresh pages for every layer.
  const int64_t rows = std::clamp<int64_t>(band_floats / std::max<int64_t>(K, 1), 1, N);
  thread_local std::vector<float> band;
  if (band.size() < static_cast<size_t>(rows * K)) band.resize(static_cast<size_t>(rows * K));
  float* const buffer = band.data();  // named outside the parallel loop: its threads have their own `band`
  for (int64_t r0 = 0; r0 < N; r0 += rows) {
    const int64_t nr = std::min(rows, N - r0);
#pragma omp parallel for schedule(static) if (nr * K > 65536)
    for (int64_t r = 0; r < nr; ++r) decode_range(W, (r0 + r) * K, K, buffer + r * K);
    gemm_nt(M, nr, K, A, K, buffer, K, C + r0, N, false);
  }
}

}  // namespace fluxgen::cpu
