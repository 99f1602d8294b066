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

template <typename Tokenizer>
void BM_Load(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::load());
}
BENCHMARK_TEMPLATE(BM_Load, ClipTokenizer)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Load, T5Tokenizer)->Unit(benchmark::kMillisecond);

template <typename Tokenizer>
void BM_EncodeLongPrompt(benchmark::State& state) {
  const Tokenizer tok = Tokenizer::load();
  const std::string prompt = long_prompt();
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(prompt));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * prompt.size()));
}
BENCHMARK_TEMPLATE(BM_EncodeLongPrompt, ClipTokenizer)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_EncodeLongPrompt, T5Tokenizer)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fluxgen

BENCHMARK_MAIN();
