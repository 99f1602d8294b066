// flux_random_models: a Forge-layout models folder of FLUX.1-dev's real models — the transformer
// (bf16, 23.8 GB), CLIP-L (fp16), T5-XXL (fp16, or fp8 e4m3fn as many users keep it) and the
// autoencoder (fp32) — with seeded random weights, so that `fluxgen generate --models-dir DIR`
// runs the whole product path at full size on a machine that has no real weights (the GPU check,
// tools/gpu_check.sh). `--size tiny` writes the test suite's tiny widths instead (seconds; what the
// CPU test of this program runs). Files already present are kept. Weights are made one tensor at
// a time (bench/flux_cpu/random_host_store.h), so memory stays at one tensor.
//
//   flux_random_models --out DIR [--size full|tiny] [--t5 fp16|fp8] [--seed N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "../flux_cpu/random_host_store.h"
#include "io/json.h"
#include "models/clip/clip_parameters.h"
#include "models/flux/flux_parameters.h"
#include "models/t5/t5_parameters.h"
#include "models/vae/vae_parameters.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string out;
  bool tiny = false;
  bool t5_fp8 = false;
  uint64_t seed = 42;
};

struct Configs {
  flux::FluxConfig flux;  // FLUX.1-dev's defaults
  clip::ClipTextConfig clip;
  t5::T5Config t5;
  vae::VaeConfig vae;
};

// The tiny fixtures' configurations (tests/fixtures/*.safetensors metadata).
Configs tiny_configs() {
  Configs c;
  c.flux.apply_json(json::parse(R"({"vec_in_dim": 32, "context_in_dim": 32, "hidden_size": 64, "num_heads": 2,
      "depth": 1, "depth_single_blocks": 1, "axes_dim": [8, 12, 12]})", "tiny FLUX config"));
  c.clip.apply_json(json::parse(R"({"hidden_size": 32, "intermediate_size": 128, "num_hidden_layers": 2,
      "num_attention_heads": 2})", "tiny CLIP config"));
  c.t5.apply_json(json::parse(R"({"d_model": 32, "d_kv": 8, "d_ff": 48, "num_layers": 2, "num_heads": 4})",
                              "tiny T5 config"));
  c.vae.ch = 32;
  c.vae.ch_mult = {1, 2};
  c.vae.num_res_blocks = 1;
  return c;
}

void write_model(const fs::path& path, const RandomHostStore& store, const std::vector<std::string>& metadata_keys) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::fprintf(stderr, "flux_random_models: %s exists, kept\n", path.c_str());
    return;
  }
  fs::create_directories(path.parent_path());
  const auto start = std::chrono::steady_clock::now();
  write_store(path.string(), store, metadata_keys);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "flux_random_models: %s (%s) in %.1f s\n", path.c_str(), format_bytes(store.data_bytes()).c_str(), s);
}

int run(const Options& o) {
  const Configs c = o.tiny ? tiny_configs() : Configs{};
  const fs::path out(o.out);
  write_model(out / "Stable-diffusion/flux1-dev-random.safetensors", *random_host_flux_store(c.flux, o.seed), {"config"});
  write_model(out / "text_encoder/clip_l.safetensors",
              RandomHostStore(clip::clip_parameter_shapes(c.clip), DType::F16, o.seed + 1, "random CLIP-L"), {});
  write_model(out / (o.t5_fp8 ? "text_encoder/t5xxl_fp8_e4m3fn.safetensors" : "text_encoder/t5xxl_fp16.safetensors"),
              RandomHostStore(t5::t5_parameter_shapes(c.t5), o.t5_fp8 ? DType::F8_E4M3 : DType::F16, o.seed + 2,
                              "random T5-XXL"),
              {});
  write_model(out / "VAE/ae.safetensors",
              RandomHostStore(vae::vae_parameter_shapes(c.vae), DType::F32, o.seed + 3, "random autoencoder"), {});
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace
}  // namespace fluxgen::bench

int main(int argc, char** argv) {
  fluxgen::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--out" && has_value) {
      o.out = argv[++i];
    } else if (a == "--size" && has_value) {
      const std::string v = argv[++i];
      if (v != "full" && v != "tiny") {
        std::fprintf(stderr, "flux_random_models: --size is full or tiny, not %s\n", v.c_str());
        return 2;
      }
      o.tiny = v == "tiny";
    } else if (a == "--t5" && has_value) {
      const std::string v = argv[++i];
      if (v != "fp16" && v != "fp8") {
        std::fprintf(stderr, "flux_random_models: --t5 is fp16 or fp8, not %s\n", v.c_str());
        return 2;
      }
      o.t5_fp8 = v == "fp8";
    } else if (a == "--seed" && has_value) {
      o.seed = std::stoull(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: flux_random_models --out DIR [--size full|tiny] [--t5 fp16|fp8] [--seed N]\n");
      return 2;
    }
  }
  if (o.out.empty()) {
    std::fprintf(stderr, "flux_random_models: --out DIR is required\n");
    return 2;
  }
  try {
    return fluxgen::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flux_random_models: %s\n", e.what());
    return 1;
  }
}
