// flux_cpu: seconds per FLUX denoising step on the CPU for each weight storage dtype, against the
// machine's own sgemm rate measured in the same run. The model is a mini FLUX with FLUX.1-dev's
// real widths (hidden 3072, 24 heads of 128, mlp 12288, context 4096, guidance embedding) and
// --double + --single blocks, random bf16 weights converted to each storage at load as a real file
// would be. Each storage runs in a child process of its own so its peak RSS is its own.
//
//   flux_cpu [--dtypes bf16,fp8-e4m3fn,fp8-e5m2,nf4,fp4] [--size 512] [--text-tokens 256]
//            [--double 2] [--single 4] [--steps 1] [--warmup 1] [--markdown PATH] [--file PATH]
//            [--text-dim 4096] [--vec-dim 768]
//
// --file: load from a bf16 safetensors file (written there first when absent) instead of weights
// made in memory, as `fluxgen generate` loads a user's file: the load's peak RSS then shows
// whether the file's pages are released as each tensor is converted (TensorStore::get_layer_weight).
// --text-dim / --vec-dim: the text inputs' widths (T5's d_model, CLIP's pooled width); smaller ones
// make a file the tiny test text encoders can drive end to end (`fluxgen compare` in RESULTS.md).
//
// Threads: OMP_NUM_THREADS (default: every core), the one pool both fluxgen and the GEMM use.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <filesystem>

#include "backend/cpu/gemm.h"
#include "io/safetensors.h"
#include "tensor/convert.h"
#include "models/flux/flux_flops.h"
#include "models/flux/flux_model.h"
#include "models/flux/latent_packing.h"
#include "nn/storage_option.h"
#include "random_host_store.h"
#include "util/error.h"
#include "util/strings.h"

extern char** environ;

namespace fluxgen::bench {
namespace {

struct Options {
  std::vector<std::string> dtypes = {"bf16", "fp8-e4m3fn", "fp8-e5m2", "nf4", "fp4"};
  int size = 512, text_tokens = 256, double_blocks = 2, single_blocks = 4, steps = 1, warmup = 1;
  int text_dim = 4096, vec_dim = 768;  // FLUX.1-dev's context_in_dim and vec_in_dim
  std::string markdown;
  std::string child;  // internal: measure this one storage and print a RESULT line
  std::string file;
};

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    check(i + 1 < argc, "flux_cpu: ", argv[i], " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) {
    const std::string v = value(i);
    try {
      return std::stoi(v);
    } catch (const std::exception&) {
      fail("flux_cpu: ", argv[i - 1], " needs a number, got '", v, "'");
    }
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dtypes") o.dtypes = split(value(i), ',');
    else if (a == "--size") o.size = number(i);
    else if (a == "--text-tokens") o.text_tokens = number(i);
    else if (a == "--double") o.double_blocks = number(i);
    else if (a == "--single") o.single_blocks = number(i);
    else if (a == "--steps") o.steps = number(i);
    else if (a == "--warmup") o.warmup = number(i);
    else if (a == "--markdown") o.markdown = value(i);
    else if (a == "--child") o.child = value(i);
    else if (a == "--file") o.file = value(i);
    else if (a == "--text-dim") o.text_dim = number(i);
    else if (a == "--vec-dim") o.vec_dim = number(i);
    else fail("flux_cpu: unknown argument ", a, " (see the comment at the top of bench/flux_cpu/flux_cpu_main.cpp)");
  }
  check(o.size >= 16 && o.size % 16 == 0, "flux_cpu: --size ", o.size, " is not a positive multiple of 16");
  check(o.steps >= 1 && o.warmup >= 0 && o.text_tokens >= 1 && o.double_blocks >= 0 && o.single_blocks >= 0 &&
            o.text_dim >= 1 && o.vec_dim >= 1,
        "flux_cpu: bad --steps/--warmup/--text-tokens/--double/--single/--text-dim/--vec-dim");
  for (const auto& d : o.dtypes) check(parse_storage_option(d).dtype.has_value(), "flux_cpu: '", d, "' is not a storage dtype");
  return o;
}

flux::FluxConfig mini_flux(const Options& o) {
  flux::FluxConfig c;  // FLUX.1-dev's widths
  c.depth = o.double_blocks;
  c.depth_single_blocks = o.single_blocks;
  c.context_in_dim = o.text_dim;
  c.vec_in_dim = o.vec_dim;
  return c;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// The sgemm rate (GFLOP/s) at 4096x3072x3072, C = A·Bᵀ as a linear layer computes it; best of 3.
double sgemm_gflops() {
  const int64_t M = 4096, N = 3072, K = 3072;
  std::vector<float> A(size_t(M * K)), B(size_t(N * K)), C(size_t(M * N));
  for (size_t i = 0; i < A.size(); ++i) A[i] = float(i % 7) * 0.1f;
  for (size_t i = 0; i < B.size(); ++i) B[i] = float(i % 5) * 0.1f;
  double best = 1e30;
  for (int r = 0; r < 4; ++r) {  // the first one warms the library up and is not counted
    const auto t0 = std::chrono::steady_clock::now();
    cpu::gemm_nt(M, N, K, A.data(), K, B.data(), K, C.data(), N, false);
    if (r > 0) best = std::min(best, seconds_since(t0));
  }
  return 2.0 * double(M) * double(N) * double(K) / best / 1e9;
}

// One storage, in this process: load, warm up, time --steps forwards; prints a RESULT line.
int run_child(const Options& o) {
  const flux::FluxConfig config = mini_flux(o);
  const StorageOption storage = parse_storage_option(o.child);
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const TensorStore> store;
  if (o.file.empty()) store = random_host_flux_store(config, 42);
  else store = open_tensor_store(o.file);
  auto model = flux::FluxModel::load(store, flux::FluxLoadOptions{storage.dtype, nullptr, 64, {}});
  const double load_s = seconds_since(t0);
  rusage after_load{};
  getrusage(RUSAGE_SELF, &after_load);
  uint64_t weight_bytes = 0;
  for (const auto& [dtype, usage] : model->weight_usage()) weight_bytes += usage.bytes;

  const int64_t latent = o.size / 8, image_tokens = (latent / 2) * (latent / 2);
  flux::FluxInputs in;
  in.img = random_host({1, image_tokens, config.in_channels}, 1);
  in.txt = random_host({1, o.text_tokens, config.context_in_dim}, 2);
  in.y = random_host({1, config.vec_in_dim}, 3);
  in.img_ids = flux::image_ids(1, latent, latent);
  in.txt_ids = flux::text_ids(1, o.text_tokens);
  in.timesteps = {0.75f};
  in.guidance = {3.5f};
  for (int i = 0; i < o.warmup; ++i) model->forward(in);
  std::vector<double> step_s;
  double checksum = 0.0;
  for (int i = 0; i < o.steps; ++i) {
    const auto s0 = std::chrono::steady_clock::now();
    const Tensor out = model->forward(in);
    step_s.push_back(seconds_since(s0));
    checksum = 0.0;
    for (int64_t j = 0; j < out.numel(); ++j) checksum += out.f32()[j];
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double flops = flux::flux_forward_flops(config, 1, image_tokens, o.text_tokens).total();
  std::printf("RESULT %s %.3f %.3f %.3f %llu %llu %llu %.6g\n", o.child.c_str(), load_s, median(step_s), flops / 1e9,
              static_cast<unsigned long long>(ru.ru_maxrss) * 1024ull,
              static_cast<unsigned long long>(after_load.ru_maxrss) * 1024ull,
              static_cast<unsigned long long>(weight_bytes), checksum);
  return 0;
}

struct Row {
  std::string dtype, note;
  double load_s = 0, step_s = 0, gflop = 0, rss = 0, load_rss = 0, weights = 0;
  bool ran = false;
};

// Runs this program with --child DTYPE and parses its RESULT line.
Row run_storage(const Options& o, const std::string& dtype) {
  Row r;
  r.dtype = dtype;
  const std::string self = "/proc/self/exe";
  std::vector<std::string> args = {"flux_cpu", "--child", dtype, "--size", std::to_string(o.size), "--text-tokens",
                                   std::to_string(o.text_tokens), "--double", std::to_string(o.double_blocks),
                                   "--single", std::to_string(o.single_blocks), "--steps", std::to_string(o.steps),
                                   "--warmup", std::to_string(o.warmup), "--text-dim", std::to_string(o.text_dim),
                                   "--vec-dim", std::to_string(o.vec_dim)};
  if (!o.file.empty()) args.insert(args.end(), {"--file", o.file});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int pipe_fd[2];
  check(::pipe(pipe_fd) == 0, "flux_cpu: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipe_fd[0]);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fd[1]);
  check(rc == 0, "flux_cpu: cannot start a child for ", dtype);
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fd[0], buf, sizeof buf)) > 0;) output.append(buf, size_t(n));
  ::close(pipe_fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!starts_with(line, "RESULT ")) continue;
    std::istringstream f(line.substr(7));
    std::string name, checksum;
    f >> name >> r.load_s >> r.step_s >> r.gflop >> r.rss >> r.load_rss >> r.weights >> checksum;
    r.ran = bool(f);
  }
  if (!r.ran) r.note = "failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  return r;
}

double gib(double b) { return b / double(1 << 30); }

int run(const Options& o) {
  std::error_code ec;
  if (!o.file.empty() && !std::filesystem::exists(o.file, ec)) {
    std::fprintf(stderr, "flux_cpu: writing the mini FLUX as bf16 to %s ...\n", o.file.c_str());
    write_store(o.file, *random_host_flux_store(mini_flux(o), 42), {});
  }
  const std::string library = cpu::gemm_library();
  std::fprintf(stderr, "flux_cpu: GEMM %s; measuring sgemm 4096x3072x3072 ...\n", library.c_str());
  const double rate = sgemm_gflops();
  std::ostringstream md;
  char line[512];
  md << "Mini FLUX (FLUX.1-dev widths, " << o.double_blocks << " double + " << o.single_blocks
     << " single blocks, random weights), " << o.size << "² (" << (o.size / 16) * (o.size / 16) << " image tokens) + "
     << o.text_tokens << " text tokens, one forward, median of " << o.steps << " after " << o.warmup
     << " warm-up; GEMM: " << library << "; sgemm 4096x3072x3072 in the same run: " << std::fixed;
  md.precision(1);
  md << rate << " GFLOP/s\n\n";
  md << "| storage | s/step | GFLOP/s | share of sgemm | weights GiB | peak RSS GiB | RSS − weights GiB | peak RSS of the load GiB | load s |\n";
  md << "|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string& d : o.dtypes) {
    std::fprintf(stderr, "flux_cpu: %s ...\n", d.c_str());
    const Row r = run_storage(o, d);
    if (!r.ran) {
      std::snprintf(line, sizeof line, "| %s | %s | | | | | | | |\n", d.c_str(), r.note.c_str());
    } else {
      const double g = r.gflop / r.step_s;
      std::snprintf(line, sizeof line, "| %s | %.2f | %.0f | %.0f%% | %.2f | %.2f | %.2f | %.2f | %.1f |\n", d.c_str(),
                    r.step_s, g, 100.0 * g / rate, gib(r.weights), gib(r.rss), gib(r.rss - r.weights), gib(r.load_rss),
                    r.load_s);
    }
    md << line;
    std::fprintf(stderr, "%s", line);
  }
  std::printf("%s", md.str().c_str());
  if (!o.markdown.empty()) std::ofstream(o.markdown) << md.str();
  return 0;
}

}  // namespace
}  // namespace fluxgen::bench

int main(int argc, char** argv) {
  try {
    const auto o = fluxgen::bench::parse(argc, argv);
    return o.child.empty() ? fluxgen::bench::run(o) : fluxgen::bench::run_child(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "flux_cpu: %s\n", e.what());
    return 1;
  }
}
