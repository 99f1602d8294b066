// Floating-point operations of one FLUX transformer forward, counted from the configuration (what
// benchmarks divide by the time to report achieved TFLOP/s): every linear layer costs
// 2·rows·in·out, attention's two matrix products 4·heads·L²·head_dim per block. Elementwise work
// (norms, modulation, RoPE, softmax) is left out: it is memory-bound and well under 1% of these.
#pragma once
#include <cstdint>

#include "models/flux/flux_config.h"

namespace fluxgen::flux {

struct FluxFlops {
  double linear = 0.0;     // every nn::Linear, embedders and modulations included
  double attention = 0.0;  // Q·Kᵀ and P·V of the 19 + 38 joint attentions
  double total() const { return linear + attention; }
};

// One forward over `batch` images of `image_tokens` packed latent tokens with `text_tokens` T5 tokens.
FluxFlops flux_forward_flops(const FluxConfig& c, int64_t batch, int64_t image_tokens, int64_t text_tokens);

}  // namespace fluxgen::flux
