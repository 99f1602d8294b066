#include "backend/cuda/cublaslt_gemm.h"

#include <cublasLt.h>

#include <map>
#include <mutex>
#include <tuple>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/elementwise_kernels.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::BF16: return CUDA_R_16BF;
    case DType::F16: return CUDA_R_16F;
    case DType::F8_E4M3: return CUDA_R_8F_E4M3;
    case DType::F8_E5M2: return CUDA_R_8F_E5M2;
    default: fail("internal: no cuBLASLt type for ", dtype_name(t));
  }
}

bool is_fp8(DType t) { return t == DType::F8_E4M3 || t == DType::F8_E5M2; }

// Largest power of two (up to 256) dividing the address: what cuBLASLt's kernels may assume.
uint32_t alignment_of(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && a % align != 0) align /= 2;
  return align;
}

using PlanKey = std::tuple<int64_t, int64_t, int64_t, int, int, int64_t, bool, int64_t, bool, int, int64_t, bool,
                           uint32_t, uint32_t, uint32_t, bool>;

struct Plan {
  bool usable = false;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
};

class PlanCache {
 public:
  // The plan for `g` (with or without its bias epilogue), built on first use.
  Plan& plan(const Gemm& g, bool with_bias) {
    const PlanKey key{g.m, g.n, g.k, static_cast<int>(g.a.dtype), static_cast<int>(g.b.dtype), g.a.ld, g.a.transposed,
                      g.b.ld, g.b.transposed, static_cast<int>(g.d_dtype), g.ldd, with_bias,
                      alignment_of(g.a.data), alignment_of(g.b.data), alignment_of(g.d), g.fp8_fast_accumulation};
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    return plans_.emplace(key, build(g, with_bias)).first->second;
  }
  std::mutex mutex;

 private:
  static Plan build(const Gemm& g, bool with_bias) {
    Context& ctx = Context::get();
    Plan p;
    check_cublas(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t ta = g.a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t tb = g.b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    check_cublas(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)), "TRANSA");
    check_cublas(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)), "TRANSB");
    if (with_bias) {
      const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
      const cudaDataType_t bias_type = cuda_type(g.d_dtype);
      check_cublas(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)),
                   "EPILOGUE");
      check_cublas(
          cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)),
          "BIAS_DATA_TYPE");
    }
    if (is_fp8(g.a.dtype) || is_fp8(g.b.dtype)) {
      const int8_t fast = g.fp8_fast_accumulation ? 1 : 0;
      check_cublas(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast)),
                   "FAST_ACCUM");
    }
    const int64_t a_rows = g.a.transposed ? g.k : g.m, a_cols = g.a.transposed ? g.m : g.k;
    const int64_t b_rows = g.b.transposed ? g.n : g.k, b_cols = g.b.transposed ? g.k : g.n;
    check_cublas(cublasLtMatrixLayoutCreate(&p.a, cuda_type(g.a.dtype), static_cast<uint64_t>(a_rows),
                                            static_cast<uint64_t>(a_cols), g.a.ld),
                 "layout A");
    check_cublas(cublasLtMatrixLayoutCreate(&p.b, cuda_type(g.b.dtype), static_cast<uint64_t>(b_rows),
                                            static_cast<uint64_t>(b_cols), g.b.ld),
                 "layout B");
    check_cublas(cublasLtMatrixLayoutCreate(&p.d, cuda_type(g.d_dtype), static_cast<uint64_t>(g.m),
                                            static_cast<uint64_t>(g.n), g.ldd),
                 "layout D");
    cublasLtMatmulPreference_t pref = nullptr;
    check_cublas(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
    const uint64_t workspace = ctx.gemm_workspace_bytes();
    check_cublas(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                                                      sizeof(workspace)),
                 "MAX_WORKSPACE_BYTES");
    const uint32_t align[3] = {alignment_of(g.a.data), alignment_of(g.b.data), alignment_of(g.d)};
    check_cublas(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &align[0],
                                                      sizeof(uint32_t)),
                 "ALIGNMENT_A");
    check_cublas(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &align[1],
                                                      sizeof(uint32_t)),
                 "ALIGNMENT_B");
    check_cublas(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align[2],
                                                      sizeof(uint32_t)),
                 "ALIGNMENT_C");
    check_cublas(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align[2],
                                                      sizeof(uint32_t)),
                 "ALIGNMENT_D");
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t status =
        cublasLtMatmulAlgoGetHeuristic(ctx.cublas(), p.desc, p.a, p.b, p.d, p.d, pref, 1, &result, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (status == CUBLAS_STATUS_SUCCESS && found > 0) {
      p.usable = true;
      p.algo = result.algo;
      p.workspace = result.workspaceSize;
    } else if (status != CUBLAS_STATUS_NOT_SUPPORTED && status != CUBLAS_STATUS_SUCCESS) {
      check_cublas(status, "cublasLtMatmulAlgoGetHeuristic");
    }
    return p;
  }

  std::map<PlanKey, Plan> plans_;
};

PlanCache& plans() {
  static PlanCache* cache = new PlanCache();  // never destroyed, like the context
  return *cache;
}

bool run(const Gemm& g, Plan& p, bool with_bias) {
  Context& ctx = Context::get();
  if (with_bias)
    check_cublas(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &g.bias, sizeof(g.bias)),
                 "BIAS_POINTER");
  if (is_fp8(g.a.dtype) || is_fp8(g.b.dtype)) {
    const float* a_scale = g.a_scale ? g.a_scale : ctx.unit_scale();
    const float* b_scale = g.b_scale ? g.b_scale : ctx.unit_scale();
    check_cublas(
        cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &a_scale, sizeof(a_scale)),
        "A_SCALE_POINTER");
    check_cublas(
        cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &b_scale, sizeof(b_scale)),
        "B_SCALE_POINTER");
  }
  const cublasStatus_t status =
      cublasLtMatmul(ctx.cublas(), p.desc, &g.alpha, g.a.data, p.a, g.b.data, p.b, &g.beta, g.d, p.d, g.d, p.d,
                     &p.algo, ctx.gemm_workspace(), p.workspace, ctx.stream());
  if (status == CUBLAS_STATUS_NOT_SUPPORTED) return false;
  check_cublas(status, "cublasLtMatmul");
  return true;
}

}  // namespace

bool try_gemm(const Gemm& g) {
  check(g.m > 0 && g.n > 0 && g.k > 0, "internal: empty GEMM");
  PlanCache& cache = plans();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (g.bias) {
    Plan& fused = cache.plan(g, true);
    if (fused.usable && run(g, fused, true)) return true;
  }
  Plan& plain = cache.plan(g, false);
  if (!plain.usable || !run(g, plain, false)) return false;
  if (g.bias) kernels::add_bias(g.d_dtype, g.d, g.n, g.m, g.ldd, g.bias, Context::get().stream());
  return true;
}

void gemm(const Gemm& g) {
  if (!try_gemm(g))
    fail("cuBLASLt has no algorithm for the product [", g.m, " x ", g.k, "] x [", g.k, " x ", g.n, "] of ",
         dtype_name(g.a.dtype), " and ", dtype_name(g.b.dtype), " into ", dtype_name(g.d_dtype));
}

}  // namespace fluxgen::cuda
