// `fluxgen eval randn`: torch-identical noise for a seed, written as one tensor `out.noise`.
#include <charconv>
#include <cstdint>
#include <memory>
#include <string>

#include "cli/eval_registry.h"
#include "io/safetensors.h"
#include "sampling/torch_rng.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::cli {
namespace {

// "1,16,128,128" -> {1, 16, 128, 128}: positive decimal integers, at most kMaxNoiseElements in all.
Shape parse_shape(const std::string& text) {
  Shape shape;
  int64_t numel = 1;
  for (const std::string& raw : split(text, ',')) {
    const std::string part = trim(raw);
    int64_t d = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    check(!part.empty() && ec != std::errc::invalid_argument && end == part.data() + part.size(),
          "--shape '", text, "': '", part, "' is not an integer (expected e.g. 1,16,128,128)");
    check(ec != std::errc::result_out_of_range, "--shape '", text, "': dimension ", part, " is too large");
    check(d >= 1, "--shape '", text, "': dimension ", part, " must be a positive integer");
    check(d <= sampling::kMaxNoiseElements && numel <= sampling::kMaxNoiseElements / d, "--shape '", text,
          "': more than ", sampling::kMaxNoiseElements, " elements");
    numel *= d;
    shape.push_back(d);
  }
  check(shape.size() <= 8, "--shape '", text, "': at most 8 dimensions");
  return shape;
}

// A decimal seed in [0, 2^64 - 1] (torch.manual_seed's range for generators).
uint64_t parse_seed(const std::string& text) {
  const std::string t = trim(text);
  uint64_t seed = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), seed);
  check(!t.empty() && ec == std::errc() && end == t.data() + t.size(), "--seed '", text,
        "': expected a non-negative integer below 2^64");
  return seed;
}

struct RandnOptions {
  std::string seed;
  std::string shape;
  std::string source = "cpu";
  std::string output;
  sampling::CudaLaunchGeometry geometry;
};

}  // namespace

void register_eval_randn(CLI::App& eval) {
  auto opt = std::make_shared<RandnOptions>();
  CLI::App* cmd = eval.add_subcommand(
      "randn",
      "torch.randn(shape, generator=torch.Generator(source).manual_seed(seed)) as float32, written to OUTPUT "
      "(safetensors) as the tensor 'out.noise'. cpu = PyTorch's CPU generator (bit-exact); cuda = the CUDA "
      "generator computed on the CPU (stream exact, values within ~1e-6 of a GPU's). For cuda tensors larger "
      "than the GPU's resident thread count the order depends on the GPU: give --cuda-sms/--cuda-threads-per-sm");
  cmd->add_option("--seed", opt->seed, "Seed (0 .. 2^64-1; torch's CPU generator uses its low 32 bits)")->required();
  cmd->add_option("--shape", opt->shape, "Comma-separated positive dimensions, e.g. 1,16,128,128")->required();
  cmd->add_option("--source", opt->source, "Generator: cpu or cuda (default cpu)");
  cmd->add_option("--output", opt->output, "Output .safetensors file (tensor 'out.noise')")->required();
  cmd->add_option("--cuda-sms", opt->geometry.multiprocessor_count,
                  "cuda only: the GPU's multiprocessor count (default 128, an RTX 4090; 3090: 82, A100: 108, H100/H200: 132)");
  cmd->add_option("--cuda-threads-per-sm", opt->geometry.max_threads_per_multiprocessor,
                  "cuda only: max resident threads per multiprocessor (default 1536; A100/H100/H200: 2048)");
  cmd->callback([opt] {
    const sampling::NoiseSource source = sampling::parse_noise_source(opt->source);
    const Shape shape = parse_shape(opt->shape);
    const uint64_t seed = parse_seed(opt->seed);
    const Tensor noise = sampling::torch_randn(source, seed, shape, opt->geometry);
    write_safetensors(opt->output, {{"out.noise", noise}},
                      {{"seed", std::to_string(seed)}, {"source", sampling::noise_source_name(source)}});
  });
}

}  // namespace fluxgen::cli
