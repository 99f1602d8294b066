#include "models/flux/flux_parameters.h"

#include <cmath>
#include <random>

#include "tensor/convert.h"

namespace fluxgen::flux {

std::map<std::string, Shape> flux_parameter_shapes(const FluxConfig& c) {
  const int64_t H = c.hidden_size, M = c.mlp_hidden(), D = c.head_dim();
  std::map<std::string, Shape> s;
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias = true) {
    s[name + ".weight"] = {out, in};
    if (bias) s[name + ".bias"] = {out};
  };
  linear("img_in", c.in_channels, H);
  linear("txt_in", c.context_in_dim, H);
  linear("time_in.in_layer", 256, H);
  linear("time_in.out_layer", H, H);
  linear("vector_in.in_layer", c.vec_in_dim, H);
  linear("vector_in.out_layer", H, H);
  if (c.guidance_embed) {
    linear("guidance_in.in_layer", 256, H);
    linear("guidance_in.out_layer", H, H);
  }
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string b = "double_blocks." + std::to_string(i) + ".";
    for (const std::string st : {"img", "txt"}) {
      linear(b + st + "_mod.lin", H, 6 * H);
      linear(b + st + "_attn.qkv", H, 3 * H, c.qkv_bias);
      s[b + st + "_attn.norm.query_norm.scale"] = {D};
      s[b + st + "_attn.norm.key_norm.scale"] = {D};
      linear(b + st + "_attn.proj", H, H);
      linear(b + st + "_mlp.0", H, M);
      linear(b + st + "_mlp.2", M, H);
    }
  }
  for (int64_t i = 0; i < c.depth_single_blocks; ++i) {
    const std::string b = "single_blocks." + std::to_string(i) + ".";
    linear(b + "linear1", H, 3 * H + M);
    linear(b + "linear2", H + M, H);
    s[b + "norm.query_norm.scale"] = {D};
    s[b + "norm.key_norm.scale"] = {D};
    linear(b + "modulation.lin", H, 3 * H);
  }
  linear("final_layer.linear", H, c.out_channels);
  linear("final_layer.adaLN_modulation.1", H, 2 * H);
  return s;
}

RandomInit random_init(const std::string& name, const Shape& shape) {
  RandomInit r;
  if (shape.size() == 2) r.std = 1.0f / std::sqrt(static_cast<float>(shape[1]));
  if (name.size() > 6 && name.compare(name.size() - 6, 6, ".scale") == 0) r.mean = 1.0f;
  return r;
}

std::shared_ptr<MemoryStore> random_flux_weights(const FluxConfig& c, DType dtype, uint64_t seed) {
  auto store = std::make_shared<MemoryStore>("random-flux", std::map<std::string, Tensor>{},
                                             std::map<std::string, std::string>{{"config", c.to_json().dump()}});
  std::mt19937_64 rng(seed);
  for (const auto& [name, shape] : flux_parameter_shapes(c)) {
    Tensor t = Tensor::empty(shape);
    float* p = t.f32();
    const RandomInit init = random_init(name, shape);
    std::normal_distribution<float> dist(0.0f, init.std);
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = init.mean + dist(rng);
    store->put(name, convert(t, dtype));
  }
  return store;
}

}  // namespace fluxgen::flux
