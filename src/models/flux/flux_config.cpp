#include "models/flux/flux_config.h"

#include <numeric>

#include "nn/weights.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::flux {

void FluxConfig::apply_json(const json::Value& v) {
  if (!v.is_object()) fail("FLUX config must be a JSON object");
  in_channels = v.int_or("in_channels", in_channels);
  out_channels = v.int_or("out_channels", out_channels);
  vec_in_dim = v.int_or("vec_in_dim", vec_in_dim);
  context_in_dim = v.int_or("context_in_dim", context_in_dim);
  hidden_size = v.int_or("hidden_size", hidden_size);
  mlp_ratio = v.number_or("mlp_ratio", mlp_ratio);
  num_heads = v.int_or("num_heads", num_heads);
  depth = v.int_or("depth", depth);
  depth_single_blocks = v.int_or("depth_single_blocks", depth_single_blocks);
  if (const json::Value* axes = v.find("axes_dim")) {
    axes_dim.clear();
    for (const auto& a : axes->as_array()) axes_dim.push_back(a.as_int());
  }
  theta = v.number_or("theta", theta);
  qkv_bias = v.bool_or("qkv_bias", qkv_bias);
  guidance_embed = v.bool_or("guidance_embed", guidance_embed);
}

json::Value FluxConfig::to_json() const {
  json::Value v = json::Value::object();
  v["in_channels"] = in_channels;
  v["out_channels"] = out_channels;
  v["vec_in_dim"] = vec_in_dim;
  v["context_in_dim"] = context_in_dim;
  v["hidden_size"] = hidden_size;
  v["mlp_ratio"] = mlp_ratio;
  v["num_heads"] = num_heads;
  v["depth"] = depth;
  v["depth_single_blocks"] = depth_single_blocks;
  json::Value axes = json::Value::array();
  for (int64_t a : axes_dim) axes.push_back(a);
  v["axes_dim"] = axes;
  v["theta"] = theta;
  v["qkv_bias"] = qkv_bias;
  v["guidance_embed"] = guidance_embed;
  return v;
}

void FluxConfig::validate(const std::string& source) const {
  check(hidden_size > 0 && num_heads > 0 && hidden_size % num_heads == 0, source, ": FLUX hidden size ", hidden_size,
        " does not split into ", num_heads, " heads");
  const int64_t axes_sum = std::accumulate(axes_dim.begin(), axes_dim.end(), int64_t{0});
  check(axes_dim.size() == 3 && axes_sum == head_dim(), source, ": FLUX axes_dim must be 3 numbers summing to the head dim ",
        head_dim(), " (got sum ", axes_sum, ")");
  for (int64_t a : axes_dim) check(a > 0 && a % 2 == 0, source, ": FLUX axes_dim entries must be even");
  check(depth >= 0 && depth_single_blocks >= 0 && mlp_ratio > 0, source, ": FLUX block counts/mlp ratio invalid");
  check(in_channels > 0 && out_channels > 0 && vec_in_dim > 0 && context_in_dim > 0, source,
        ": FLUX channel counts must be positive");
}

std::optional<FluxDetection> detect_flux(const TensorStore& store) {
  for (const auto& name : store.names()) {
    for (const auto& [anchor, layout] : {std::pair<std::string_view, FluxLayout>{"img_in.weight", FluxLayout::BFL},
                                         {"x_embedder.weight", FluxLayout::Diffusers}}) {
      if (!ends_with(name, anchor)) continue;
      const std::string prefix = name.substr(0, name.size() - anchor.size());
      if (!prefix.empty() && prefix.back() != '.') continue;
      const char* block_key = layout == FluxLayout::BFL ? "double_blocks.0.img_attn.norm.query_norm.scale"
                                                        : "transformer_blocks.0.attn.norm_q.weight";
      if (store.contains(prefix + block_key) || store.contains(prefix + (layout == FluxLayout::BFL ? "final_layer.linear.weight" : "proj_out.weight")))
        return FluxDetection{layout, prefix};
    }
  }
  return std::nullopt;
}

FluxConfig infer_flux_config(const TensorStore& store, const FluxDetection& where, const json::Value* override_json) {
  std::shared_ptr<const TensorStore> alias(std::shared_ptr<const TensorStore>{}, &store);
  const Weights w(alias, where.prefix);
  FluxConfig c;
  const bool bfl = where.layout == FluxLayout::BFL;
  const Shape img_in = w.shape(bfl ? "img_in.weight" : "x_embedder.weight");
  c.hidden_size = img_in.at(0);
  c.in_channels = img_in.at(1);
  const Shape final_linear = w.shape(bfl ? "final_layer.linear.weight" : "proj_out.weight");
  c.out_channels = final_linear.at(0);
  c.context_in_dim = w.shape(bfl ? "txt_in.weight" : "context_embedder.weight").at(1);
  c.vec_in_dim = w.shape(bfl ? "vector_in.in_layer.weight" : "time_text_embed.text_embedder.linear_1.weight").at(1);
  c.depth = w.count(bfl ? "double_blocks" : "transformer_blocks");
  c.depth_single_blocks = w.count(bfl ? "single_blocks" : "single_transformer_blocks");
  c.guidance_embed = w.has(bfl ? "guidance_in.in_layer.weight" : "time_text_embed.guidance_embedder.linear_1.weight");
  int64_t head_dim = 0;
  if (c.depth > 0) {
    head_dim = w.shape(bfl ? "double_blocks.0.img_attn.norm.query_norm.scale" : "transformer_blocks.0.attn.norm_q.weight").at(0);
    c.qkv_bias = w.has(bfl ? "double_blocks.0.img_attn.qkv.bias" : "transformer_blocks.0.attn.to_q.bias");
    c.mlp_ratio = static_cast<double>(w.shape(bfl ? "double_blocks.0.img_mlp.0.weight" : "transformer_blocks.0.ff.net.0.proj.weight").at(0)) /
                  static_cast<double>(c.hidden_size);
  } else if (c.depth_single_blocks > 0) {
    head_dim = w.shape(bfl ? "single_blocks.0.norm.query_norm.scale" : "single_transformer_blocks.0.attn.norm_q.weight").at(0);
  }
  if (head_dim > 0) c.num_heads = c.hidden_size / head_dim;
  // FLUX.1's axes split the 128-wide head as 16 + 56 + 56; other head sizes keep that proportion
  // (rounded to even sizes) until a config says otherwise.
  if (head_dim > 0 && head_dim != 128) {
    const int64_t a1 = (head_dim * 56 / 128) / 2 * 2;
    c.axes_dim = {head_dim - 2 * a1, a1, a1};
  }
  const std::string meta = store.metadata("config");
  if (!meta.empty()) {
    try {
      const json::Value v = json::parse(meta, store.source() + ": metadata config");
      if (v.is_object() && (v.contains("axes_dim") || v.contains("hidden_size"))) c.apply_json(v);
    } catch (const Error&) {
      // A config for another program (or not JSON at all) is not ours to refuse.
    }
  }
  if (override_json) c.apply_json(*override_json);
  c.validate(store.source());
  return c;
}

}  // namespace fluxgen::flux
