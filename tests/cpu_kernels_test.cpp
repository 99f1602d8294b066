// The CPU backend's own kernels below the ops: the vectorised transcendental loops against libm in
// double, edge values included; the host memory cache; the GEMM library and the kernels it runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/cpu/vector_math.h"
#include "tensor/host_memory.h"

namespace fluxgen {
namespace {

std::vector<float> test_values() {
  std::vector<float> v = {0.0f,     -0.0f,    1e-30f,   -1e-30f, 1e-8f,   -1e-8f,  0.5f,   -0.5f,  1.0f,  -1.0f,
                          3.0f,     -3.0f,    9.5f,     -9.5f,   20.0f,   -20.0f,  80.0f,  -80.0f, 87.0f, -87.0f,
                          88.7f,    -87.3f,   88.73f,   -87.4f,  100.0f,  -100.0f, 1e30f,  -1e30f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-30.0f, 30.0f);
  for (int i = 0; i < 2000; ++i) v.push_back(u(rng));
  return v;
}

// |got − want| within rel·|want| + abs.
void expect_near_rel(double got, double want, double rel, double abs, const std::string& what) {
  if (std::isinf(want)) {
    EXPECT_EQ(got, want) << what;
    return;
  }
  EXPECT_LE(std::fabs(got - want), rel * std::fabs(want) + abs) << what << ": got " << got << ", want " << want;
}

TEST(CpuVectorMath, ExpMatchesLibmToAFewUlpsAndSaturates) {
  std::vector<float> x = test_values();
  std::vector<float> y = x;
  cpu::exp_inplace(y.data(), static_cast<int64_t>(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    if (want < 1.2e-38) {  // below the normal range: flushed to zero (never negative, never NaN)
      EXPECT_GE(y[i], 0.0f);
      EXPECT_LT(y[i], 1.2e-38f);
    } else if (want > 3.4e38) {
      EXPECT_EQ(y[i], std::numeric_limits<float>::infinity()) << x[i];
    } else {
      expect_near_rel(y[i], want, 3e-7, 0.0, "exp(" + std::to_string(x[i]) + ")");
    }
  }
  float special[3] = {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), NAN};
  cpu::exp_inplace(special, 3);
  EXPECT_EQ(special[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(special[1], 0.0f);
  EXPECT_TRUE(std::isnan(special[2]));
}

TEST(CpuVectorMath, ActivationsMatchTheirDefinitions) {
  const std::vector<float> x = test_values();
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> silu(x.size()), gelu(x.size()), sig(x.size()), th(x.size());
  cpu::silu(x.data(), silu.data(), n);
  cpu::gelu_tanh(x.data(), gelu.data(), n);
  cpu::sigmoid(x.data(), sig.data(), n);
  cpu::tanh(x.data(), th.data(), n);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (std::fabs(v) > 1e20) continue;  // the cubic in GELU overflows float there, as in PyTorch
    const std::string at = " at " + std::to_string(v);
    expect_near_rel(silu[i], v / (1.0 + std::exp(-v)), 1e-6, 1e-30, "silu" + at);
    expect_near_rel(sig[i], 1.0 / (1.0 + std::exp(-v)), 1e-6, 1e-30, "sigmoid" + at);
    expect_near_rel(th[i], std::tanh(v), 1e-6, 2e-7, "tanh" + at);
    const double g = 0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
    expect_near_rel(gelu[i], g, 1e-6, 2e-7 * std::fabs(v), "gelu_tanh" + at);
  }
  float nan_in = NAN, out = 0.0f;
  cpu::silu(&nan_in, &out, 1);
  EXPECT_TRUE(std::isnan(out));
}

TEST(CpuVectorMath, SoftmaxRowScalesAddsBiasAndMasksTheTail) {
  const int64_t n = 37, valid = 30;
  std::vector<float> row(n), bias(n);
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::sin(0.7f * float(j)) * 40.0f;  // large scores: the max must be subtracted
    bias[j] = (j % 5 == 0) ? -1e4f : 0.1f * float(j);
  }
  std::vector<double> want(n, 0.0);
  double mx = -1e300, sum = 0.0;
  for (int64_t j = 0; j < valid; ++j) mx = std::max(mx, double(row[j]) * 0.125 + bias[j]);
  for (int64_t j = 0; j < valid; ++j) sum += want[j] = std::exp(double(row[j]) * 0.125 + bias[j] - mx);
  std::vector<float> got = row;
  cpu::softmax_row(got.data(), bias.data(), valid, n, 0.125f);
  double total = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    total += got[j];
    if (j >= valid) {
      EXPECT_EQ(got[j], 0.0f) << j;
    } else {
      expect_near_rel(got[j], want[j] / sum, 1e-6, 1e-12, "p[" + std::to_string(j) + "]");
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-6);
}

TEST(HostMemory, LargeBlocksAreAlignedAndReusedSmallOnesAreNot) {
  void* small = allocate_host(100);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 64, 0u);
  std::memset(small, 1, 100);
  release_host(small, 100);

  const size_t big = (size_t(5) << 20) + 12345;
  void* a = allocate_host(big);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  std::memset(a, 7, big);  // every byte is writable
  const HostMemoryStats before = host_memory_stats();
  release_host(a, big);
  if (!before.caching) GTEST_SKIP() << "sanitizer build: blocks go straight back to the system";
  EXPECT_GT(host_memory_stats().cached_bytes, before.cached_bytes);
  void* b = allocate_host(big - 1000);  // same 2 MiB size class
  EXPECT_EQ(b, a);
  EXPECT_EQ(host_memory_stats().reused, before.reused + 1);
  release_host(b, big - 1000);
  trim_host_memory();
  EXPECT_EQ(host_memory_stats().cached_bytes, 0u);
}

TEST(HostMemory, AbsurdSizeFailsWithAClearMessage) {
  try {
    void* p = allocate_host(size_t(1) << 60);
    release_host(p, size_t(1) << 60);
    FAIL() << "a 1 EiB allocation succeeded";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("out of host memory"), std::string::npos) << e.what();
  }
}

TEST(CpuGemm, ProductsMatchDoublePrecisionForOddShapesAndAccumulate) {
  const int64_t M = 37, N = 53, K = 129;
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> A(M * K), B(N * K), Bn(K * N), C(M * N, 1.0f), D(M * N, 1.0f);
  for (auto& v : A) v = g(rng);
  for (auto& v : B) v = g(rng);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) Bn[k * N + n] = B[n * K + k];
  cpu::gemm_nt(M, N, K, A.data(), K, B.data(), K, C.data(), N, true);
  cpu::gemm_nn(M, N, K, A.data(), K, Bn.data(), N, D.data(), N, false);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double want = 0.0;
      for (int64_t k = 0; k < K; ++k) want += double(A[m * K + k]) * B[n * K + k];
      EXPECT_NEAR(C[m * N + n], want + 1.0, 1e-4) << m << "," << n;
      EXPECT_NEAR(D[m * N + n], want, 1e-4) << m << "," << n;
    }
}

// The GEMM names its library and kernels; where the suite runs with the ISA capped
// (ctest's fluxgen_tests_avx2: ONEDNN_MAX_CPU_ISA=AVX2), the capped kernels are the ones in use.
TEST(CpuGemm, ReportsTheKernelsInUse) {
  const std::string lib = cpu::gemm_library();
  EXPECT_FALSE(lib.empty());
  const char* expected = std::getenv("FLUXGEN_EXPECT_GEMM_ISA");
  if (expected && *expected) {
    EXPECT_NE(lib.find(std::string("ISA ") + expected), std::string::npos) << lib;
  }
#ifdef FLUXGEN_WITH_DNNL
  EXPECT_NE(lib.find("oneDNN"), std::string::npos) << lib;
  EXPECT_EQ(lib.find("ISA other"), std::string::npos) << lib;
#endif
}

TEST(CpuThreads, ThreadsOptionReachesThreadsThatAdoptIt) {
  const int before = cpu::thread_count();
  cpu::set_thread_count(1);
  EXPECT_EQ(cpu::thread_count(), 1);
  int in_worker = 0;
  std::thread worker([&] {
    cpu::adopt_thread_count();
    in_worker = cpu::thread_count();
  });
  worker.join();
  EXPECT_EQ(in_worker, 1);
  EXPECT_THROW(cpu::set_thread_count(0), std::exception);
  cpu::set_thread_count(std::max(before, 1));
  EXPECT_EQ(cpu::thread_count(), std::max(before, 1));
}

}  // namespace
}  // namespace fluxgen
