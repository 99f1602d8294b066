#include "models/flux/flux_flops.h"

#include "models/flux/flux_parameters.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::flux {

namespace {
// Rows a linear layer multiplies, from its BFL name: image tokens, text tokens, both (single
// blocks), or one row per image (embedders of vectors and every modulation).
int64_t rows_of(const std::string& name, int64_t batch, int64_t img, int64_t txt) {
  if (name == "img_in.weight" || name == "final_layer.linear.weight") return batch * img;
  if (name == "txt_in.weight") return batch * txt;
  if (ends_with(name, "_mod.lin.weight") || ends_with(name, "modulation.lin.weight") ||
      starts_with(name, "final_layer.adaLN_modulation") || starts_with(name, "time_in.") ||
      starts_with(name, "vector_in.") || starts_with(name, "guidance_in."))
    return batch;
  if (starts_with(name, "double_blocks.")) {
    const size_t stream = name.find('.', std::string("double_blocks.").size()) + 1;
    if (name.compare(stream, 4, "img_") == 0) return batch * img;
    if (name.compare(stream, 4, "txt_") == 0) return batch * txt;
  }
  if (starts_with(name, "single_blocks.")) return batch * (img + txt);
  fail("internal: no FLOP rule for FLUX parameter ", name);
}
}  // namespace

FluxFlops flux_forward_flops(const FluxConfig& c, int64_t batch, int64_t image_tokens, int64_t text_tokens) {
  check(batch > 0 && image_tokens > 0 && text_tokens >= 0, "FLUX FLOP count: bad token counts");
  FluxFlops f;
  for (const auto& [name, shape] : flux_parameter_shapes(c)) {
    if (shape.size() != 2) continue;  // biases and norm scales
    f.linear += 2.0 * static_cast<double>(rows_of(name, batch, image_tokens, text_tokens)) *
                static_cast<double>(shape[0]) * static_cast<double>(shape[1]);
  }
  const double L = static_cast<double>(image_tokens + text_tokens);
  f.attention = 4.0 * static_cast<double>(c.depth + c.depth_single_blocks) * static_cast<double>(batch) *
                static_cast<double>(c.num_heads) * L * L * static_cast<double>(c.head_dim());
  return f;
}

}  // namespace fluxgen::flux
