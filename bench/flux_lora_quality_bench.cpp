// The measurement Forge's folklore lacks: how much of a LoRA's effect survives each weight
// storage in each application mode. For every storage dtype × {merged, online}:
//   total  = ‖out(dtype, mode) − out(fp32, LoRA)‖ / ‖out(fp32, LoRA) − out(fp32, no LoRA)‖
//   effect = ‖(out(dtype, mode) − out(dtype, no LoRA)) − (out(fp32, LoRA) − out(fp32, no LoRA))‖
//            / ‖out(fp32, LoRA) − out(fp32, no LoRA)‖
// `total` is the definition (it includes the base model's own quantization error);
// `effect` isolates how faithfully the LoRA's own change is reproduced. Two models: the fixture
// FLUX with its kohya LoRA at 0.8, and a larger random FLUX (hidden 512, 2+4 blocks, 256 image +
// 64 text tokens) with a rank-16 LoRA on every block linear sized ‖ΔW‖/‖W‖ = 1e-2.
// The GGUF block types (Q8_0 ... Q2_K, encoded by tensor/gguf_quantize as city96's files hold
// them) merge by decoding, merging and encoding back into the same type (LoraMode::Requantize,
// Forge's "(merged LoRA)"); their online mode is the default over GGUF. The 256-element k-quants
// run on the 512-wide model only: the fixture's rows (96 wide) are not whole super-blocks.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "backend/ops.h"
#include "flux_cpu/random_host_store.h"
#include "io/safetensors.h"
#include "lora/lora_effect_error.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"
#include "models/flux/flux_parameters.h"
#include "models/flux/latent_packing.h"
#include "tensor/convert.h"

namespace fluxgen {
namespace {

double norm(const Tensor& t) {
  double s = 0;
  for (float v : to_vector(t)) s += double(v) * v;
  return std::sqrt(s);
}

struct Case {
  std::string name;
  std::shared_ptr<const TensorStore> weights;
  std::shared_ptr<const TensorStore> lora_file;
  float multiplier;
  flux::FluxInputs inputs;
};

Tensor randn(const Shape& s, std::mt19937& rng, float stddev) {
  std::normal_distribution<float> d(0.0f, stddev);
  Tensor t = Tensor::empty(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = d(rng);
  return t;
}

Case fixture_case() {
  const std::string dir = FLUXGEN_FIXTURES;
  const auto io = SafetensorsFile::open(dir + "/flux_io.safetensors");
  Case c{"fixture (kohya, x0.8)", open_tensor_store(dir + "/flux_bfl.safetensors"),
         open_tensor_store(dir + "/flux_lora_kohya.safetensors"), 0.8f, {}};
  c.inputs = flux::read_flux_inputs(*io);
  return c;
}

Case random_case() {
  flux::FluxConfig cfg;
  cfg.hidden_size = 512;
  cfg.num_heads = 4;
  cfg.depth = 2;
  cfg.depth_single_blocks = 4;
  cfg.context_in_dim = 256;
  cfg.vec_in_dim = 64;
  auto weights = flux::random_flux_weights(cfg, DType::BF16, 1234);
  // A rank-16 kohya LoRA on every block linear with ‖ΔW‖_F = 1e-2 · ‖W‖_F.
  auto lora = std::make_shared<MemoryStore>("random_rank16_lora.safetensors");
  std::mt19937 rng(99);
  const int64_t rank = 16;
  for (const auto& name : weights->names()) {
    const bool block = name.rfind("double_blocks.", 0) == 0 || name.rfind("single_blocks.", 0) == 0;
    if (!block || weights->shape(name).size() != 2) continue;
    const Shape s = weights->shape(name);
    const Tensor down = randn({rank, s[1]}, rng, 1.0f);
    Tensor up = randn({s[0], rank}, rng, 1.0f);
    const double target = 1e-2 * norm(weights->get(name));
    const double actual = norm(ops::linear(up, ops::permute(down, {1, 0})));
    up = ops::scale(up, static_cast<float>(target / actual));
    bench::put_kohya_lora(*lora, name, down, up);
  }
  Case c{"random 512-wide (rank 16, |dW|/|W|=1e-2)", weights, lora, 1.0f, {}};
  std::mt19937 in_rng(5);
  c.inputs.img = randn({1, 256, cfg.in_channels}, in_rng, 1.0f);
  c.inputs.img_ids = flux::image_ids(1, 32, 32);
  c.inputs.txt = randn({1, 64, cfg.context_in_dim}, in_rng, 1.0f);
  c.inputs.txt_ids = flux::text_ids(1, 64);
  c.inputs.y = randn({1, cfg.vec_in_dim}, in_rng, 1.0f);
  c.inputs.timesteps = {0.7f};
  c.inputs.guidance = {3.5f};
  return c;
}

struct Outputs {
  Tensor base, with_lora;
};

Outputs run(const Case& c, std::optional<DType> storage, LoraMode mode, double* seconds) {
  flux::FluxLoadOptions opt;
  opt.storage = storage;
  auto model = flux::FluxModel::load(c.weights, opt);
  const lora::TargetResolver resolver(model->config());
  const lora::LoraSet set = lora::read_lora(*c.lora_file, resolver);
  lora::LoraPatcher patcher(lora::Component::Transformer, model->linear_layers(), model->source());
  Outputs o;
  o.base = model->forward(c.inputs);
  patcher.apply({{&set, c.multiplier}}, mode);
  const auto t0 = std::chrono::steady_clock::now();
  o.with_lora = model->forward(c.inputs);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

void register_all() {
  static std::vector<Case> cases = {fixture_case(), random_case()};
  static std::vector<Outputs> exact(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    double s = 0;
    exact[i] = run(cases[i], DType::F32, LoraMode::Online, &s);
  }
  const std::pair<DType, const char*> dtypes[] = {
      {DType::BF16, "bf16"}, {DType::F8_E4M3, "fp8-e4m3fn"}, {DType::F8_E5M2, "fp8-e5m2"}, {DType::NF4, "nf4"},
      {DType::FP4, "fp4"},   {DType::Q8_0, "Q8_0"},         {DType::Q6_K, "Q6_K"},        {DType::Q5_K, "Q5_K"},
      {DType::Q5_0, "Q5_0"}, {DType::Q4_K, "Q4_K"},         {DType::Q4_0, "Q4_0"},        {DType::Q3_K, "Q3_K"},
      {DType::Q2_K, "Q2_K"}};
  for (size_t i = 0; i < cases.size(); ++i)
    for (const auto& [dt, label] : dtypes)
      for (LoraMode plain : {LoraMode::Merged, LoraMode::Online}) {
        const bool gguf = dtype_is_gguf_block(dt);
        if (gguf && dtype_block_elems(dt) > 32 && i == 0) continue;
        const LoraMode mode = gguf && plain == LoraMode::Merged ? LoraMode::Requantize : plain;
        const std::string name = cases[i].name + "/" + label + (mode == LoraMode::Online ? " (fp16 LoRA)" : "");
        benchmark::RegisterBenchmark(name.c_str(), [i, dt = dt, mode](benchmark::State& state) {
          double seconds = 0;
          Outputs o;
          for (auto _ : state) o = run(cases[i], dt, mode, &seconds);
          const Tensor effect = ops::sub(exact[i].with_lora, exact[i].base);
          const double effect_norm = norm(effect);
          state.counters["total"] = norm(ops::sub(o.with_lora, exact[i].with_lora)) / effect_norm;
          state.counters["effect"] = lora::lora_effect_error(o.with_lora, o.base, exact[i].with_lora, exact[i].base)
                                         .value_or(std::numeric_limits<double>::quiet_NaN());
          state.counters["base_err"] = norm(ops::sub(o.base, exact[i].base)) / norm(exact[i].base);
          state.counters["forward_s"] = seconds;
        })->Iterations(1)->Unit(benchmark::kMillisecond);
      }
}

}  // namespace
}  // namespace fluxgen

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fluxgen::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
