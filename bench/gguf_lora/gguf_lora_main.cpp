// gguf_lora_bench: what each extra online LoRA costs per transformer step, with the layers kept in a
// GGUF block type (users report GGUF FLUX ~3x slower with four LoRAs in other tools; fluxgen's goal
// is at most +10% for four) and, for comparison, in bf16. A mini FLUX with FLUX.1-dev's widths
// (random weights, bench/flux_cpu's RandomHostStore) is converted at load to the type; each LoRA is
// a random rank-R kohya LoRA on every block linear (|dW| = 1e-2 |W|). Prints a markdown table: s per
// forward with 0, 1, 2, 4 LoRAs (the fastest of --reps interleaved rounds) and the ratio to none.
//
//   gguf_lora_bench [--size 256] [--text-tokens 512] [--double 1] [--single 1] [--rank 16] [--reps 2]
//                   [--types Q8_0,Q4_K,BF16]
#include <chrono>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../flux_cpu/random_host_store.h"
#include "backend/ops.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "models/flux/flux_model.h"
#include "models/flux/latent_packing.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::bench {
namespace {

struct Options {
  int size = 256, text_tokens = 512, double_blocks = 1, single_blocks = 1, rank = 16, reps = 2;
  std::vector<std::string> types = {"Q8_0", "Q4_K", "BF16"};
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    check(i + 1 < argc, "gguf_lora_bench: ", a, " needs a value");
    const std::string v = argv[++i];
    if (a == "--size") o.size = std::stoi(v);
    else if (a == "--text-tokens") o.text_tokens = std::stoi(v);
    else if (a == "--double") o.double_blocks = std::stoi(v);
    else if (a == "--single") o.single_blocks = std::stoi(v);
    else if (a == "--rank") o.rank = std::stoi(v);
    else if (a == "--reps") o.reps = std::stoi(v);
    else if (a == "--types") o.types = split(v, ',');
    else fail("gguf_lora_bench: unknown argument ", a);
  }
  check(o.size % 16 == 0 && o.size > 0, "gguf_lora_bench: --size must be a positive multiple of 16");
  return o;
}

// A rank-`rank` kohya LoRA on every block linear of `weights`, |dW|_F = 1e-2 |W|_F.
std::shared_ptr<MemoryStore> random_lora(const TensorStore& weights, int64_t rank, uint64_t seed) {
  auto lora = std::make_shared<MemoryStore>("random_lora_" + std::to_string(seed) + ".safetensors");
  for (const auto& name : weights.names()) {
    const bool block = name.rfind("double_blocks.", 0) == 0 || name.rfind("single_blocks.", 0) == 0;
    if (!block || weights.shape(name).size() != 2) continue;
    const Shape s = weights.shape(name);
    const Tensor down = random_host({rank, s[1]}, seed++);
    Tensor up = random_host({s[0], rank}, seed++);
    // |up·down|_F ≈ sqrt(rank·in·out) for N(0, 1) factors; |W|_F ≈ sqrt(out) for N(0, 1/in) weights.
    const double scale = 1e-2 * std::sqrt(double(s[0])) / std::sqrt(double(rank) * double(s[0]) * double(s[1]));
    up = ops::scale(up, static_cast<float>(scale));
    bench::put_kohya_lora(*lora, name, down, up);
  }
  return lora;
}

int run(const Options& o) {
  flux::FluxConfig config;
  config.depth = o.double_blocks;
  config.depth_single_blocks = o.single_blocks;
  const auto weights = random_host_flux_store(config, 42);
  const int64_t side = o.size / 16;
  flux::FluxInputs in;
  in.img = random_host({1, side * side, config.in_channels}, 1);
  in.img_ids = flux::image_ids(1, o.size / 8, o.size / 8);
  in.txt = random_host({1, o.text_tokens, config.context_in_dim}, 2);
  in.txt_ids = flux::text_ids(1, o.text_tokens);
  in.y = random_host({1, config.vec_in_dim}, 3);
  in.timesteps = {0.7f};
  in.guidance = {3.5f};

  const int counts[] = {0, 1, 2, 4};
  std::vector<std::shared_ptr<MemoryStore>> lora_files;
  for (int i = 0; i < 4; ++i) lora_files.push_back(random_lora(*weights, o.rank, 1000u * (i + 1)));

  std::printf("Mini FLUX (FLUX.1-dev widths, %d double + %d single blocks, random weights), %d² (%lld image "
              "tokens) + %d text tokens, rank-%d LoRAs on every block linear, online, fastest of %d forwards each\n\n",
              o.double_blocks, o.single_blocks, o.size, static_cast<long long>(side * side), o.text_tokens, o.rank,
              o.reps);
  std::printf("| storage | no LoRA s | 1 LoRA | 2 LoRAs | 4 LoRAs |\n|---|---|---|---|---|\n");
  std::fflush(stdout);
  for (const std::string& type : o.types) {
    const auto dtype = dtype_from_name(type);
    check(dtype.has_value(), "gguf_lora_bench: unknown type ", type);
    flux::FluxLoadOptions load;
    load.storage = *dtype;
    auto model = flux::FluxModel::load(weights, load);
    const lora::TargetResolver resolver(model->config());
    std::vector<lora::LoraSet> sets;
    for (const auto& f : lora_files) sets.push_back(lora::read_lora(*f, resolver));
    lora::LoraPatcher patcher(lora::Component::Transformer, model->linear_layers(), model->source());
    // Rounds over every LoRA count, the fastest forward of each kept: on a shared machine the
    // minimum is what the work costs, and interleaving keeps slow phases from favouring one count.
    std::vector<double> best(std::size(counts), 1e30);
    for (int r = 0; r <= o.reps; ++r) {
      for (size_t c = 0; c < std::size(counts); ++c) {
        std::vector<lora::ActiveLora> active;
        for (int i = 0; i < counts[c]; ++i) active.push_back({&sets[static_cast<size_t>(i)], 1.0f});
        patcher.apply(active, LoraMode::Online);
        const auto t0 = std::chrono::steady_clock::now();
        model->forward(in);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (r > 0) best[c] = std::min(best[c], s);  // round 0 warms pages and thread pools
      }
    }
    std::printf("| %s | %.2f", type.c_str(), best[0]);
    for (size_t c = 1; c < std::size(counts); ++c) std::printf(" | %.2f (%+.1f %%)", best[c], 100.0 * (best[c] / best[0] - 1.0));
    std::printf(" |\n");
  }
  return 0;
}

}  // namespace
}  // namespace fluxgen::bench

int main(int argc, char** argv) {
  try {
    return fluxgen::bench::run(fluxgen::bench::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gguf_lora_bench: %s\n", e.what());
    return 1;
  }
}
