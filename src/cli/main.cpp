// fluxgen's command line. See ../shared/CLI.md for the contract the tests rely on.
#include <cstdio>
#include <exception>
#include <string>

#include "backend/cpu/gemm.h"
#include "cli/commands.h"
#include "util/error.h"
#ifdef FLUXGEN_WITH_CUDA
#include "backend/cuda/cuda_install.h"
#endif

int main(int argc, char** argv) {
  CLI::App app{"fluxgen " FLUXGEN_VERSION ": a native FLUX.1-dev image generator (low-bit weights, LoRA, HiRes.fix, "
               "ADetailer, an A1111-compatible API)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", FLUXGEN_VERSION);
  int threads = 0;
  app.add_option("--threads", threads,
                 "CPU threads for the models and the GEMM (default: OMP_NUM_THREADS, else every core)")
      ->check(CLI::Range(1, 4096));
  std::string cuda_graphs = "on";
  app.add_option("--cuda-graphs", cuda_graphs,
                 "Replay the denoising step as a CUDA graph from its second step (on, the default) or launch "
                 "every kernel (off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.fallthrough();  // `fluxgen generate --threads 2 ...` as well as `fluxgen --threads 2 generate ...`
  app.parse_complete_callback([&] {
    if (threads > 0) fluxgen::cpu::set_thread_count(threads);
#ifdef FLUXGEN_WITH_CUDA
    if (fluxgen::cuda::CudaBackend* gpu = fluxgen::cuda::installed_backend()) {
      fluxgen::cuda::CudaBackendOptions o = gpu->options();
      o.graphs = cuda_graphs == "on";
      gpu->set_options(o);
    }
#endif
  });
  for (const auto& reg : fluxgen::cli::top_level_commands()) reg(app);
  CLI::App* eval = app.add_subcommand("eval", "Numerical entry points: read in.* tensors, write out.* tensors");
  eval->require_subcommand(1);
  fluxgen::cli::register_eval_commands(*eval);
  try {
#ifdef FLUXGEN_WITH_CUDA
    // Registers the GPU backend when this machine has a CUDA device; without one nothing changes.
    fluxgen::cuda::install();
#endif
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "fluxgen: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fluxgen: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
