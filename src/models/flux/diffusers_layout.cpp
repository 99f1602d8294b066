#include "models/flux/diffusers_layout.h"

#include <map>

#include "backend/ops.h"
#include "util/error.h"
#include "util/map_keys.h"

namespace fluxgen::flux {

std::vector<ModuleMapping> diffusers_module_map(const FluxConfig& c) {
  const int64_t H = c.hidden_size, M = c.mlp_hidden();
  std::vector<ModuleMapping> m;
  auto direct = [&](std::string bfl, std::string diff, int64_t rows) {
    m.push_back({std::move(bfl), {{std::move(diff), rows}}, false, false});
  };
  auto norm = [&](std::string bfl, std::string diff, int64_t dim) {
    m.push_back({std::move(bfl), {{std::move(diff), dim}}, false, true});
  };
  direct("img_in", "x_embedder", H);
  direct("txt_in", "context_embedder", H);
  direct("time_in.in_layer", "time_text_embed.timestep_embedder.linear_1", H);
  direct("time_in.out_layer", "time_text_embed.timestep_embedder.linear_2", H);
  direct("vector_in.in_layer", "time_text_embed.text_embedder.linear_1", H);
  direct("vector_in.out_layer", "time_text_embed.text_embedder.linear_2", H);
  direct("guidance_in.in_layer", "time_text_embed.guidance_embedder.linear_1", H);
  direct("guidance_in.out_layer", "time_text_embed.guidance_embedder.linear_2", H);
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string b = "double_blocks." + std::to_string(i) + ".";
    const std::string d = "transformer_blocks." + std::to_string(i) + ".";
    direct(b + "img_mod.lin", d + "norm1.linear", 6 * H);
    direct(b + "txt_mod.lin", d + "norm1_context.linear", 6 * H);
    m.push_back({b + "img_attn.qkv", {{d + "attn.to_q", H}, {d + "attn.to_k", H}, {d + "attn.to_v", H}}, false, false});
    m.push_back({b + "txt_attn.qkv",
                 {{d + "attn.add_q_proj", H}, {d + "attn.add_k_proj", H}, {d + "attn.add_v_proj", H}}, false, false});
    norm(b + "img_attn.norm.query_norm", d + "attn.norm_q", c.head_dim());
    norm(b + "img_attn.norm.key_norm", d + "attn.norm_k", c.head_dim());
    norm(b + "txt_attn.norm.query_norm", d + "attn.norm_added_q", c.head_dim());
    norm(b + "txt_attn.norm.key_norm", d + "attn.norm_added_k", c.head_dim());
    direct(b + "img_attn.proj", d + "attn.to_out.0", H);
    direct(b + "txt_attn.proj", d + "attn.to_add_out", H);
    direct(b + "img_mlp.0", d + "ff.net.0.proj", M);
    direct(b + "img_mlp.2", d + "ff.net.2", H);
    direct(b + "txt_mlp.0", d + "ff_context.net.0.proj", M);
    direct(b + "txt_mlp.2", d + "ff_context.net.2", H);
  }
  for (int64_t i = 0; i < c.depth_single_blocks; ++i) {
    const std::string b = "single_blocks." + std::to_string(i) + ".";
    const std::string d = "single_transformer_blocks." + std::to_string(i) + ".";
    m.push_back({b + "linear1",
                 {{d + "attn.to_q", H}, {d + "attn.to_k", H}, {d + "attn.to_v", H}, {d + "proj_mlp", M}}, false, false});
    direct(b + "linear2", d + "proj_out", H);
    norm(b + "norm.query_norm", d + "attn.norm_q", c.head_dim());
    norm(b + "norm.key_norm", d + "attn.norm_k", c.head_dim());
    direct(b + "modulation.lin", d + "norm.linear", 3 * H);
  }
  direct("final_layer.linear", "proj_out", c.out_channels);
  m.push_back({"final_layer.adaLN_modulation.1", {{"norm_out.linear", 2 * H}}, true, false});
  return m;
}

namespace {

struct TensorRecipe {
  std::vector<std::string> sources;  // full names in the diffusers file
  bool swap_halves = false;
};

class DiffusersAsBflStore final : public TensorStore {
 public:
  DiffusersAsBflStore(std::shared_ptr<const TensorStore> base, const std::string& prefix, const FluxConfig& c)
      : base_(std::move(base)) {
    for (const ModuleMapping& mm : diffusers_module_map(c)) {
      const std::vector<std::pair<std::string, std::string>> params =
          mm.norm_scale ? std::vector<std::pair<std::string, std::string>>{{"scale", "weight"}}
                        : std::vector<std::pair<std::string, std::string>>{{"weight", "weight"}, {"bias", "bias"}};
      for (const auto& [bfl_param, diff_param] : params) {
        TensorRecipe r;
        r.swap_halves = mm.swap_halves;
        for (const DiffusersPart& p : mm.parts) r.sources.push_back(prefix + p.module + "." + diff_param);
        bool all = true, any = false;
        for (const auto& s : r.sources) {
          const bool has = base_->contains(s);
          all = all && has;
          any = any || has;
        }
        if (any && !all)
          for (const auto& s : r.sources)
            if (!base_->contains(s)) fail(base_->source(), ": tensor ", s, " is missing (needed for ", mm.bfl, ")");
        if (all) recipes_[mm.bfl + "." + bfl_param] = std::move(r);
      }
    }
  }

  std::vector<std::string> names() const override { return map_keys(recipes_); }
  bool contains(const std::string& name) const override { return recipes_.count(name) > 0; }
  std::string source() const override { return base_->source(); }
  std::string metadata(const std::string& key) const override { return base_->metadata(key); }

  Shape shape(const std::string& name) const override {
    const TensorRecipe& r = recipe(name);
    Shape s = base_->shape(r.sources[0]);
    for (size_t i = 1; i < r.sources.size(); ++i) s[0] += base_->shape(r.sources[i]).at(0);
    return s;
  }
  DType dtype(const std::string& name) const override { return base_->dtype(recipe(name).sources[0]); }

  Tensor get(const std::string& name) const override {
    const TensorRecipe& r = recipe(name);
    std::vector<Tensor> parts;
    for (const auto& s : r.sources) {
      Tensor t = base_->get(s);
      if (r.sources.size() > 1 && dtype_is_quantized_block(t.dtype()))
        fail(source(), ": cannot fuse ", s, " into ", name, ": ", dtype_name(t.dtype()),
             " tensors in diffusers layout are not supported; use a BFL-layout file");
      parts.push_back(std::move(t));
    }
    Tensor out = parts.size() == 1 ? parts[0] : ops::concat(parts, 0);
    if (r.swap_halves) {
      const int64_t half = out.dim(0) / 2;
      out = ops::concat({ops::slice(out, 0, half, 2 * half), ops::slice(out, 0, 0, half)}, 0);
    }
    return out;
  }

 private:
  const TensorRecipe& recipe(const std::string& name) const {
    auto it = recipes_.find(name);
    if (it == recipes_.end()) fail(base_->source(), ": tensor ", name, " (BFL name) has no diffusers counterpart");
    return it->second;
  }
  std::shared_ptr<const TensorStore> base_;
  std::map<std::string, TensorRecipe> recipes_;
};

}  // namespace

std::shared_ptr<TensorStore> diffusers_as_bfl(std::shared_ptr<const TensorStore> store, const std::string& prefix,
                                              const FluxConfig& c) {
  return std::make_shared<DiffusersAsBflStore>(std::move(store), prefix, c);
}

}  // namespace fluxgen::flux
