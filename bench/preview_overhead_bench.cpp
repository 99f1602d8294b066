// What a live preview costs next to the sampling step it shows, at 1024x1024 (a 128x128 latent):
// the cheap linear map and the TAEF1 decoder (real weights, tests/fixtures/real) are timed; the
// FLUX.1-dev step is timed through its FLOP count at this machine's measured GEMM rate (a real
// 12 B-parameter step takes minutes on a CPU). The counter overhead_pct is the preview's cost as a
// share of one step: the requirement is < 5% with a preview every step.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "backend/ops.h"
#include "models/taesd/taesd.h"
#include "pipeline/latent_preview.h"

namespace fluxgen {
namespace {

Tensor random_tensor(const Shape& s) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  Tensor t = Tensor::empty(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = d(rng);
  return t;
}

// FLOPs of one FLUX.1-dev forward at 1024² (4096 image + 512 text tokens): per-token linears of
// 19 double blocks (qkv, proj, mlp per stream: 12·H² each) and 38 single blocks (linear1 + linear2:
// 12·H²), plus attention (QKᵀ and AV: 4·L²·H per block).
double flux_dev_step_flops() {
  const double H = 3072, L = 4096 + 512;
  return 2.0 * 12 * H * H * L * (19 + 38) + 4.0 * L * L * H * (19 + 38);
}

double g_gemm_flops_per_s = 0;


void report(benchmark::State& state, double seconds_per_preview) {
  const double step_s = flux_dev_step_flops() / g_gemm_flops_per_s;
  state.counters["flux_dev_step_s"] = step_s;
  state.counters["overhead_pct"] = 100.0 * seconds_per_preview / step_s;
}

void BM_CheapPreview1024(benchmark::State& state) {
  const Tensor latent = random_tensor({1, 16, 128, 128});
  auto t0 = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(latent_to_rgb_preview(latent));
    ++n;
  }
  report(state, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n);
}

void BM_Taef1Preview1024(benchmark::State& state) {
  static const TaesdDecoder dec = load_taesd_decoder(std::string(FLUXGEN_FIXTURES) + "/real/taef1_decoder.safetensors");
  const Tensor latent = random_tensor({1, 16, 128, 128});
  auto t0 = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dec.forward(latent));
    ++n;
  }
  report(state, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n);
}

}  // namespace
}  // namespace fluxgen

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  {
    // The GEMM rate first: the step-time model needs it.
    const fluxgen::Tensor x = fluxgen::random_tensor({512, 3072}), w = fluxgen::random_tensor({3072, 3072});
    fluxgen::ops::linear(x, w);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) fluxgen::ops::linear(x, w);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 3;
    fluxgen::g_gemm_flops_per_s = 2.0 * 512 * 3072 * 3072 / s;
    std::printf("CPU GEMM rate: %.1f GFLOP/s; FLUX.1-dev step at 1024^2 = %.2e FLOP = %.0f s on this CPU\n",
                fluxgen::g_gemm_flops_per_s / 1e9, fluxgen::flux_dev_step_flops(),
                fluxgen::flux_dev_step_flops() / fluxgen::g_gemm_flops_per_s);
  }
  benchmark::RegisterBenchmark("preview/Approx cheap/1024x1024", fluxgen::BM_CheapPreview1024)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("preview/TAEF1/1024x1024", fluxgen::BM_Taef1Preview1024)->Iterations(2)->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
