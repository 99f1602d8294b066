// flux_gpu: seconds per FLUX.1-dev denoising step on the GPU for each weight storage dtype, with
// FLUX.1-dev's real shapes (hidden 3072, 19 + 38 blocks, 512 text tokens) and random weights drawn
// on the device. Per configuration: the median of --steps timed forwards after --warmup ones
// (CUDA events), peak device memory, weight bytes, and TFLOP/s against the counted FLOPs of a
// forward (models/flux/flux_flops.h); then one step timed op by op. Prints a markdown table
// (and writes it to --markdown PATH). Without a CUDA device it says so and exits 0.
//
//   flux_gpu [--dtypes bf16,fp8-e4m3fn,fp8-e5m2,nf4,fp4] [--sizes 1024,1328] [--steps 10]
//            [--warmup 2] [--budget SECONDS] [--markdown PATH] [--no-profile] [--fp8-decode]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_install.h"
#include "pipeline/placement/device_weight_store.h"
#include "models/flux/flux_flops.h"
#include "models/flux/flux_model.h"
#include "models/flux/latent_packing.h"
#include "../flux_cpu/random_host_store.h"
#include "op_timing_backend.h"
#include "random_device_weights.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::bench {
namespace {

struct Options {
  std::vector<std::string> dtypes = {"bf16", "fp8-e4m3fn", "fp8-e5m2", "nf4", "fp4"};
  std::vector<int> sizes = {1024, 1328};
  int steps = 10, warmup = 2;
  int text_tokens = 512;
  double budget_seconds = 1e9;
  std::string markdown;
  bool profile = true;
  bool fp8_tensor_cores = true;
};

DType storage_of(const std::string& name) {
  if (name == "bf16") return DType::BF16;
  if (name == "fp8-e4m3fn") return DType::F8_E4M3;
  if (name == "fp8-e5m2") return DType::F8_E5M2;
  if (name == "nf4") return DType::NF4;
  if (name == "fp4") return DType::FP4;
  fail("flux_gpu: unknown storage dtype '", name, "' (bf16, fp8-e4m3fn, fp8-e5m2, nf4, fp4)");
}

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    check(i + 1 < argc, "flux_gpu: ", argv[i], " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dtypes") {
      o.dtypes = split(value(i), ',');
      for (const auto& d : o.dtypes) storage_of(d);
    } else if (a == "--sizes") {
      o.sizes.clear();
      for (const auto& s : split(value(i), ',')) o.sizes.push_back(std::stoi(s));
      for (int s : o.sizes) check(s >= 16 && s % 16 == 0, "flux_gpu: image size ", s, " is not a positive multiple of 16");
    } else if (a == "--steps") {
      o.steps = std::stoi(value(i));
    } else if (a == "--warmup") {
      o.warmup = std::stoi(value(i));
    } else if (a == "--text-tokens") {
      o.text_tokens = std::stoi(value(i));
    } else if (a == "--budget") {
      o.budget_seconds = std::stod(value(i));
    } else if (a == "--markdown") {
      o.markdown = value(i);
    } else if (a == "--no-profile") {
      o.profile = false;
    } else if (a == "--fp8-decode") {
      o.fp8_tensor_cores = false;
    } else {
      fail("flux_gpu: unknown argument ", a);
    }
  }
  check(o.steps >= 1 && o.warmup >= 0 && o.text_tokens >= 1, "flux_gpu: bad --steps/--warmup/--text-tokens");
  return o;
}

double gib(double bytes) { return bytes / double(1 << 30); }

struct Result {
  std::string dtype;
  int size = 0;
  int64_t image_tokens = 0;
  bool ran = false;
  std::string note;
  double median_s = 0, min_s = 0, tflops = 0, load_s = 0;
  double weight_bytes = 0, peak_reserved = 0, peak_tensors = 0;
  std::vector<OpTimingBackend::Row> profile;
  double profile_ms = 0;
};

Result measure(const Options& o, const std::string& dtype_name_arg, int size) {
  cuda::Context& ctx = cuda::Context::get();
  cuda::CudaBackend& gpu = *cuda::installed_backend();
  Result r;
  r.dtype = dtype_name_arg;
  r.size = size;
  const flux::FluxConfig config;  // FLUX.1-dev
  r.image_tokens = int64_t(size / 16) * (size / 16);  // the VAE's 8x, then 2x2 patches

  ctx.allocator().release_cached();
  const auto t0 = std::chrono::steady_clock::now();
  auto store = std::make_shared<DeviceWeightStore>(
      std::make_shared<RandomDeviceFluxStore>(config, storage_of(dtype_name_arg), 42), Device::CUDA);
  auto model = flux::FluxModel::load(store, flux::FluxLoadOptions{});
  ctx.synchronize();
  r.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.weight_bytes = static_cast<double>(store->resident_bytes());
  ctx.allocator().release_cached();  // generation temporaries
  ctx.allocator().reset_peaks();

  flux::FluxInputs in;
  in.img = gpu.upload(random_host({1, r.image_tokens, config.in_channels}, 1));
  in.txt = gpu.upload(random_host({1, o.text_tokens, config.context_in_dim}, 2));
  in.y = gpu.upload(random_host({1, config.vec_in_dim}, 3));
  in.img_ids = flux::image_ids(1, size / 8, size / 8);  // latent size: the VAE downsamples by 8
  in.txt_ids = flux::text_ids(1, o.text_tokens);
  in.timesteps = {0.75f};
  in.guidance = {3.5f};

  for (int i = 0; i < o.warmup; ++i) model->forward(in);
  ctx.synchronize();
  cudaEvent_t start, stop;
  cuda::check_cuda(cudaEventCreate(&start), "cudaEventCreate");
  cuda::check_cuda(cudaEventCreate(&stop), "cudaEventCreate");
  std::vector<double> seconds;
  for (int i = 0; i < o.steps; ++i) {
    cuda::check_cuda(cudaEventRecord(start, ctx.stream()), "cudaEventRecord");
    const Tensor out = model->forward(in);
    cuda::check_cuda(cudaEventRecord(stop, ctx.stream()), "cudaEventRecord");
    cuda::check_cuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0.0f;
    cuda::check_cuda(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    seconds.push_back(ms / 1000.0);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(seconds.begin(), seconds.end());
  r.median_s = seconds.size() % 2 ? seconds[seconds.size() / 2]
                                  : 0.5 * (seconds[seconds.size() / 2 - 1] + seconds[seconds.size() / 2]);
  r.min_s = seconds.front();
  const cuda::MemoryStats mem = ctx.allocator().stats();
  r.peak_reserved = static_cast<double>(mem.peak_reserved + ctx.gemm_workspace_bytes());
  r.peak_tensors = static_cast<double>(mem.peak_in_use);
  r.tflops = flux::flux_forward_flops(config, 1, r.image_tokens, o.text_tokens).total() / r.median_s / 1e12;

  if (o.profile) {
    OpTimingBackend timing(gpu);
    register_backend(Device::CUDA, &timing);
    try {
      model->forward(in);
    } catch (...) {
      register_backend(Device::CUDA, &gpu);
      throw;
    }
    register_backend(Device::CUDA, &gpu);
    r.profile = timing.rows();
    for (const auto& row : r.profile) r.profile_ms += row.ms;
  }
  r.ran = true;
  return r;
}

std::string table(const std::vector<Result>& results, const std::string& device) {
  std::ostringstream os;
  char line[512];
  os << "FLUX.1-dev transformer, one denoising step (batch 1, 512 text tokens, random weights) on " << device << "\n\n";
  os << "| storage | image | tokens | s/step (median) | min | TFLOP/s | weights GiB | peak VRAM GiB | peak tensors GiB | load s |\n";
  os << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Result& r : results) {
    if (!r.ran) {
      std::snprintf(line, sizeof(line), "| %s | %d² | %lld | %s | | | | | | |\n", r.dtype.c_str(), r.size,
                    static_cast<long long>(r.image_tokens), r.note.c_str());
    } else {
      std::snprintf(line, sizeof(line), "| %s | %d² | %lld | %.4f | %.4f | %.0f | %.2f | %.2f | %.2f | %.1f |\n",
                    r.dtype.c_str(), r.size, static_cast<long long>(r.image_tokens), r.median_s, r.min_s, r.tflops,
                    gib(r.weight_bytes), gib(r.peak_reserved), gib(r.peak_tensors), r.load_s);
    }
    os << line;
  }
  for (const Result& r : results) {
    if (!r.ran || r.profile.empty()) continue;
    os << "\nWhere one step's time goes: " << r.dtype << " at " << r.size << "² (" << r.profile.size()
       << " kinds of op call, " << std::fixed;
    os.precision(1);
    os << r.profile_ms << " ms in ops)\n\n| op | calls | ms | share |\n|---|---|---|---|\n";
    for (size_t i = 0; i < std::min<size_t>(r.profile.size(), 16); ++i) {
      const auto& row = r.profile[i];
      std::snprintf(line, sizeof(line), "| %s | %d | %.2f | %.1f%% |\n", row.op.c_str(), row.calls, row.ms,
                    100.0 * row.ms / r.profile_ms);
      os << line;
    }
  }
  return os.str();
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const auto devices = cuda::list_devices();
  if (devices.empty() || !cuda::install()) {
    std::printf("flux_gpu: no CUDA device (compute capability 8.0+); nothing to measure.\n");
    return 0;
  }
  cuda::CudaBackendOptions bo;
  bo.activations = DType::BF16;
  bo.fp8_tensor_cores = o.fp8_tensor_cores;
  cuda::installed_backend()->set_options(bo);
  const cuda::DeviceProperties& dev = cuda::Context::get().device();
  const std::string device = dev.name + " (sm_" + std::to_string(dev.sm) + ", " +
                             std::to_string(dev.total_memory >> 30) + " GiB)";
  std::printf("flux_gpu on %s\n", device.c_str());
  const auto start = std::chrono::steady_clock::now();
  std::vector<Result> results;
  for (int size : o.sizes) {
    for (const std::string& dt : o.dtypes) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Result r;
      if (elapsed > o.budget_seconds) {
        r.dtype = dt;
        r.size = size;
        r.image_tokens = int64_t(size / 16) * (size / 16);
        r.note = "skipped: time budget";
      } else {
        try {
          r = measure(o, dt, size);
        } catch (const std::exception& e) {
          r.dtype = dt;
          r.size = size;
          r.image_tokens = int64_t(size / 16) * (size / 16);
          r.note = std::string("failed: ") + e.what();
        }
      }
      std::printf("  %-11s %d²: %s\n", dt.c_str(), size,
                  r.ran ? (std::to_string(r.median_s) + " s/step").c_str() : r.note.c_str());
      std::fflush(stdout);
      results.push_back(std::move(r));
    }
  }
  const std::string md = table(results, device);
  std::printf("\n%s", md.c_str());
  if (!o.markdown.empty()) {
    std::ofstream out(o.markdown);
    out << md;
    check(static_cast<bool>(out), "flux_gpu: cannot write ", o.markdown);
  }
  bool any_failed = false;
  for (const Result& r : results) any_failed = any_failed || starts_with(r.note, "failed");
  return any_failed ? 1 : 0;
}

}  // namespace
}  // namespace fluxgen::bench

int main(int argc, char** argv) {
  try {
    return fluxgen::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flux_gpu: error: %s\n", e.what());
    return 1;
  }
}
