// CudaBackend::linear: row-major y[M, N] = x[M, K]·W[N, K]ᵀ (+ bias) for weights of every storage
// dtype. In cuBLASLt's column-major terms that is yᵀ[N, M] = W·xᵀ with W transposed ("TN"), the
// layout FP8 tensor cores require.
#include <mutex>
#include <set>
#include <utility>

#include "backend/cuda/cublaslt_gemm.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/small_batch_linear.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {
bool is_fp8(DType t) { return t == DType::F8_E4M3 || t == DType::F8_E5M2; }

// Weight shapes cuBLASLt had no FP8 algorithm for: skip the activation quantization next time.
std::set<std::pair<int64_t, int64_t>>& fp8_refused() {
  static auto* shapes = new std::set<std::pair<int64_t, int64_t>>();
  return *shapes;
}
std::mutex fp8_refused_mutex;
}  // namespace

Tensor CudaBackend::linear(const Tensor& x_in, const Tensor& weight, const Tensor* bias) {
  check(x_in.defined() && weight.defined(), "linear: undefined tensor");
  check(weight.ndim() == 2, "linear: weight must be 2-D, got ", weight.describe());
  const int64_t N = weight.dim(0), K = weight.dim(1);
  check(K > 0 && x_in.ndim() >= 1 && x_in.dim(-1) == K, "linear: input ", x_in.describe(), " does not match weight ",
        weight.describe());
  if (bias) check(bias->numel() == N, "linear: bias ", bias->describe(), " does not match ", N, " outputs");
  const Tensor x = input(x_in, "linear");
  const int64_t M = x.numel() / K;
  Shape out_shape = x.shape();
  out_shape.back() = N;
  Tensor y = device_empty(out_shape, options_.activations);
  if (M > 0 && N > 0) linear_into(x, M, on_device(weight), bias, y);
  return y;
}

void CudaBackend::linear_into(const Tensor& x, int64_t M, const Tensor& w, const Tensor* bias_in, Tensor& y) {
  const DType act = options_.activations;
  const int64_t N = w.dim(0), K = w.dim(1);
  const Tensor bias = bias_in ? input(*bias_in, "linear bias") : Tensor();
  const void* bias_ptr = bias_in ? bias.raw_data() : nullptr;
  const bool quantized = dtype_is_quantized_block(w.dtype());
  const int block = quantized ? w.block_size() : 1;
  cudaStream_t stream = Context::get().stream();

  if (M <= kernels::kSmallBatchRows && kernels::small_batch_linear_supported(w.dtype(), w.raw_data(), K, block)) {
    kernels::small_batch_linear(w.dtype(), w.raw_data(), quantized ? w.absmax().data<float>() : nullptr, block,
                                code_table_of(w.dtype()), N, K, act, x.raw_data(), M, bias_ptr, y.raw_data(), stream);
    return;
  }
  if (act == DType::BF16 && is_fp8(w.dtype()) && options_.fp8_tensor_cores && Context::get().device().sm >= 89 &&
      fp8_gemm(x, M, w, bias_in ? &bias : nullptr, y))
    return;
  const Tensor wd = w.dtype() == act ? w : decoded_weight(w);
  Gemm g;
  g.m = N;
  g.n = M;
  g.k = K;
  g.a = {wd.raw_data(), act, K, true};
  g.b = {x.raw_data(), act, K, false};
  g.d = y.raw_data();
  g.d_dtype = act;
  g.ldd = N;
  g.bias = bias_ptr;
  gemm(g);
}

bool CudaBackend::fp8_gemm(const Tensor& x, int64_t M, const Tensor& w, const Tensor* bias, Tensor& y) {
  const int64_t N = w.dim(0), K = w.dim(1);
  {
    std::lock_guard<std::mutex> lock(fp8_refused_mutex);
    if (fp8_refused().count({N, K})) return false;
  }
  cudaStream_t stream = Context::get().stream();
  // Activations to e4m3 with one scale for the tensor: scale = amax / 448, kept on the device.
  Tensor stats = device_empty({2}, DType::F32);  // [amax, scale]
  float* amax = stats.data<float>();
  check_cuda(cudaMemsetAsync(amax, 0, sizeof(float), stream), "FP8 amax reset");
  Tensor xq = device_empty(x.shape(), DType::F8_E4M3);
  kernels::abs_max(x.dtype(), x.raw_data(), x.numel(), amax, stream);
  kernels::encode_fp8_scaled(x.dtype(), x.raw_data(), x.numel(), amax, DType::F8_E4M3, xq.raw_data(), amax + 1,
                             stream);
  Gemm g;
  g.m = N;
  g.n = M;
  g.k = K;
  g.a = {w.raw_data(), w.dtype(), K, true};
  g.b = {xq.raw_data(), DType::F8_E4M3, K, false};
  g.d = y.raw_data();
  g.d_dtype = DType::BF16;
  g.ldd = N;
  g.bias = bias ? bias->raw_data() : nullptr;
  g.a_scale = nullptr;  // fluxgen's FP8 weights are stored unscaled
  g.b_scale = amax + 1;
  g.fp8_fast_accumulation = options_.fp8_fast_accumulation;
  if (try_gemm(g)) return true;
  std::lock_guard<std::mutex> lock(fp8_refused_mutex);
  fp8_refused().insert({N, K});
  return false;
}

}  // namespace fluxgen::cuda
