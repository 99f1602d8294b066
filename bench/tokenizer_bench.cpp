// How long the shipped tokenizers take to load (once per process: the CLI pays it on every run) and
// to encode a long prompt. Target: each loads in well under a second.
#include <benchmark/benchmark.h>

#include <string>

#include "text/clip_tokenizer.h"
#include "text/t5_tokenizer.h"

namespace fluxgen {
namespace {

std::string long_prompt() {
  std::string prompt;
  for (int i = 0; i < 100; ++i) prompt += "professional portrait photography, natural lighting, ";
  return prompt;
}

void BM_ClipLoad(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ClipTokenizer::load());
}
BENCHMARK(BM_ClipLoad)->Unit(benchmark::kMillisecond);

void BM_T5Load(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(T5Tokenizer::load());
}
BENCHMARK(BM_T5Load)->Unit(benchmark::kMillisecond);

void BM_ClipEncodeLongPrompt(benchmark::State& state) {
  const ClipTokenizer tok = ClipTokenizer::load();
  const std::string prompt = long_prompt();
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(prompt));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * prompt.size()));
}
BENCHMARK(BM_ClipEncodeLongPrompt)->Unit(benchmark::kMillisecond);

void BM_T5EncodeLongPrompt(benchmark::State& state) {
  const T5Tokenizer tok = T5Tokenizer::load();
  const std::string prompt = long_prompt();
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(prompt));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * prompt.size()));
}
BENCHMARK(BM_T5EncodeLongPrompt)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fluxgen

BENCHMARK_MAIN();
