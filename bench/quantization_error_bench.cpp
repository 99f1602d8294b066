// Quantization error and codec throughput of every weight storage format fluxgen reads or writes
// (bf16, f16, float8 e4m3fn / e5m2, bitsandbytes NF4 / FP4 with blocks of 64), on Gaussian data
// and on two heavy-tailed sets: Student-t with 3 degrees of freedom, and a Gaussian where 0.1% of
// the values are 20x larger (outlier features). Each encode benchmark reports, as counters, the
// relative L2 error ||dequant(quant(x)) - x|| / ||x|| and the largest absolute error; the decode
// benchmarks measure dequantization alone. fp8 uses fluxgen's saturating quantizer.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tensor/convert.h"

namespace {

using fluxgen::DType;
using fluxgen::Overflow;
using fluxgen::Tensor;

constexpr int64_t kElements = int64_t(1) << 20;

Tensor make_data(const std::string& kind) {
  std::mt19937 rng(2024);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::student_t_distribution<float> t3(3.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Tensor x = Tensor::empty({kElements / 1024, 1024});
  float* p = x.f32();
  for (int64_t i = 0; i < kElements; ++i) {
    if (kind == "gaussian") {
      p[i] = g(rng);
    } else if (kind == "student_t3") {
      p[i] = t3(rng);
    } else {  // gaussian_outliers
      p[i] = g(rng);
      if (u(rng) < 0.001f) p[i] *= 20.0f;
    }
  }
  return x;
}

const Tensor& dataset(const std::string& kind) {
  static const Tensor gaussian = make_data("gaussian");
  static const Tensor student = make_data("student_t3");
  static const Tensor outliers = make_data("gaussian_outliers");
  return kind == "gaussian" ? gaussian : kind == "student_t3" ? student : outliers;
}

struct Errors {
  double rel_l2, max_abs;
};

Errors errors(const Tensor& approx, const Tensor& ref) {
  const std::vector<float> a = fluxgen::to_vector(approx);
  const float* r = ref.f32();
  double num = 0, den = 0, max_abs = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - r[i];
    num += d * d;
    den += static_cast<double>(r[i]) * r[i];
    max_abs = std::max(max_abs, std::fabs(d));
  }
  return {std::sqrt(num / den), max_abs};
}

void BM_Encode(benchmark::State& state, std::string kind, DType format) {
  const Tensor& x = dataset(kind);
  Tensor q;
  for (auto _ : state) {
    q = fluxgen::convert(x, format, Overflow::Saturate);
    benchmark::DoNotOptimize(q.raw_data());
  }
  const Errors e = errors(q, x);
  state.counters["rel_l2"] = e.rel_l2;
  state.counters["max_abs_err"] = e.max_abs;
  state.SetItemsProcessed(state.iterations() * kElements);
  state.SetLabel(kind + " " + std::string(fluxgen::dtype_name(format)));
}

void BM_Decode(benchmark::State& state, std::string kind, DType format) {
  const Tensor q = fluxgen::convert(dataset(kind), format, Overflow::Saturate);
  Tensor out = Tensor::empty(q.shape());
  for (auto _ : state) {
    fluxgen::decode_range(q, 0, q.numel(), out.f32());
    benchmark::DoNotOptimize(out.raw_data());
  }
  state.SetItemsProcessed(state.iterations() * kElements);
  state.SetLabel(kind + " " + std::string(fluxgen::dtype_name(format)));
}

}  // namespace

int main(int argc, char** argv) {
  const DType formats[] = {DType::BF16, DType::F16, DType::F8_E4M3, DType::F8_E5M2, DType::NF4, DType::FP4};
  for (const std::string kind : {"gaussian", "student_t3", "gaussian_outliers"})
    for (DType f : formats)
      benchmark::RegisterBenchmark(("Encode/" + kind + "/" + std::string(fluxgen::dtype_name(f))).c_str(), BM_Encode, kind, f)
          ->Unit(benchmark::kMillisecond);
  for (DType f : formats)
    benchmark::RegisterBenchmark(("Decode/" + std::string(fluxgen::dtype_name(f))).c_str(), BM_Decode,
                                 std::string("gaussian"), f)
        ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
