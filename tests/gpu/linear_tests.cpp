// Linear layers on the GPU against the CPU backend: every weight dtype through every path (fused
// small-batch kernel, cuBLASLt bf16/f32 GEMM after decoding, FP8 tensor cores), biases, shapes
// that are not multiples of anything.
#include "backend/cuda/cuda_context.h"
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"

namespace fluxgen::gpu_test {
namespace {

const std::vector<DType> kWeightDtypes = {DType::F32,     DType::F16,     DType::BF16, DType::F8_E4M3,
                                          DType::F8_E5M2, DType::NF4,     DType::FP4};

GPU_TEST(linear_every_weight_dtype_and_path) {
  const int64_t K = 320, N = 96;
  const Tensor w32 = random({N, K}, 11, 0.05f), bias = random({N}, 12);
  for (DType dt : kWeightDtypes) {
    const Tensor w = convert(w32, dt, Overflow::Saturate);
    const Tensor resident = gpu().upload_weight(w);
    // 1 and 5 rows: the fused kernel; 37 and 300: decode + GEMM (or FP8 GEMM).
    for (int64_t M : {1, 5, 37, 300}) {
      const Tensor x = random({M, K}, 13 + static_cast<uint64_t>(M));
      const Tensor want = cpu().linear(x, w, &bias);
      for (const Mode& m : modes()) {
        use(m);
        const std::string what = "linear " + std::string(dtype_name(dt)) + " M=" + std::to_string(M);
        const bool fp8_cores = m.activations == DType::BF16 && M > 8 &&
                               (dt == DType::F8_E4M3 || dt == DType::F8_E5M2) && cuda::Context::get().device().sm >= 89;
        // FP8 tensor cores quantize the activations to e4m3 (3 mantissa bits): a few percent by design.
        expect_close(what + (fp8_cores ? " (fp8 tensor cores)" : ""), gpu().linear(gpu().upload(x), resident, &bias),
                     want, fp8_cores ? 6e-2 : m.tolerance);
      }
    }
  }
}

GPU_TEST(linear_fp8_without_tensor_cores_decodes_to_bf16) {
  const Tensor w = convert(random({64, 256}, 21, 0.05f), DType::F8_E4M3, Overflow::Saturate);
  const Tensor x = random({2, 50, 256}, 22);
  use(modes()[1]);
  cuda::CudaBackendOptions o = gpu().options();
  o.fp8_tensor_cores = false;
  gpu().set_options(o);
  expect_close("linear F8_E4M3 decoded", gpu().linear(gpu().upload(x), gpu().upload_weight(w), nullptr),
               cpu().linear(x, w, nullptr), 1e-2);
  use(modes()[1]);  // tensor cores back on
}

GPU_TEST(linear_odd_shapes_and_host_arguments) {
  // K not a multiple of 8 (no fused kernel), 3-D input, host weight and bias given directly.
  const Tensor w = random({33, 21}, 31), b = random({33}, 32), x = random({2, 7, 21}, 33);
  for (const Mode& m : modes()) {
    use(m);
    expect_close("linear K=21 host weight", gpu().linear(gpu().upload(x), w, &b), cpu().linear(x, w, &b),
                 m.tolerance);
    expect_close("linear M=1 K=21", gpu().linear(gpu().upload(random({1, 21}, 34)), w, nullptr),
                 cpu().linear(random({1, 21}, 34), w, nullptr), m.tolerance);
  }
  CHECK_THROWS(gpu().linear(gpu().upload(random({2, 20}, 35)), w, nullptr));
  CHECK_THROWS(gpu().linear(gpu().upload(x), w, &w));
}

}  // namespace
}  // namespace fluxgen::gpu_test
