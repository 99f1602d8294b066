#include "models/t5/t5_config.h"

#include "nn/weights.h"
#include "util/error.h"

namespace fluxgen::t5 {

namespace {
constexpr std::string_view kAnchor = "encoder.block.0.layer.0.SelfAttention.q.weight";
}

void T5Config::apply_json(const json::Value& v) {
  auto int_field = [&](const char* key, int64_t& out) {
    if (const json::Value* f = v.find(key); f && !f->is_null()) out = f->as_int();
  };
  int_field("vocab_size", vocab_size);
  int_field("d_model", d_model);
  int_field("d_kv", d_kv);
  int_field("d_ff", d_ff);
  int_field("num_layers", num_layers);
  int_field("num_heads", num_heads);
  int_field("relative_attention_num_buckets", relative_attention_num_buckets);
  int_field("relative_attention_max_distance", relative_attention_max_distance);
  if (const json::Value* f = v.find("layer_norm_epsilon"); f && !f->is_null())
    layer_norm_epsilon = static_cast<float>(f->as_number());
  if (const json::Value* f = v.find("feed_forward_proj"); f && f->is_string()) {
    const std::string& proj = f->as_string();
    check(proj == "gated-gelu" || proj == "relu", "T5 config: feed_forward_proj \"", proj,
          "\" is not supported (gated-gelu or relu)");
    gated_gelu = proj == "gated-gelu";
  }
}

void T5Config::validate(const std::string& source) const {
  check(d_model > 0 && d_kv > 0 && d_ff > 0 && num_heads > 0 && vocab_size > 0, source,
        ": T5 configuration has a non-positive size");
  check(num_layers > 0, source, ": T5 encoder has no blocks");
  check(relative_attention_num_buckets >= 4 && relative_attention_max_distance > relative_attention_num_buckets / 4,
        source, ": T5 relative attention needs at least 4 buckets and a max distance beyond the exact range");
  check(layer_norm_epsilon > 0.0f, source, ": T5 layer_norm_epsilon must be positive");
}

std::optional<T5Location> find_t5_encoder(const TensorStore& store) {
  const auto prefixes = key_prefixes(store, kAnchor);
  if (prefixes.empty()) return std::nullopt;
  const std::string& p = prefixes.front();
  for (const char* emb : {"shared.weight", "encoder.embed_tokens.weight"})
    if (store.contains(p + emb)) return T5Location{p, emb};
  return T5Location{p, ""};  // no embedding table: loading reports it
}

T5Config infer_t5_config(const TensorStore& store, const T5Location& where) {
  std::shared_ptr<const TensorStore> alias(std::shared_ptr<const TensorStore>{}, &store);
  const Weights w(alias, where.prefix);
  const Weights blk = w.sub("encoder.block.0.layer");
  T5Config c;
  const Shape q = blk.shape("0.SelfAttention.q.weight");
  check(q.size() == 2, store.source(), ": ", blk.key("0.SelfAttention.q.weight"), " must be 2-D");
  c.d_model = q[1];
  if (!where.embedding.empty()) c.vocab_size = w.shape(where.embedding).at(0);
  c.num_layers = w.count("encoder.block");
  if (blk.has("0.SelfAttention.relative_attention_bias.weight")) {
    const Shape rel = blk.shape("0.SelfAttention.relative_attention_bias.weight");
    check(rel.size() == 2, store.source(), ": the relative attention bias must be [buckets, heads]");
    c.relative_attention_num_buckets = rel[0];
    c.num_heads = rel[1];
  }
  c.d_kv = c.num_heads > 0 ? q[0] / c.num_heads : q[0];
  c.gated_gelu = blk.has("1.DenseReluDense.wi_0.weight");
  const std::string wi = c.gated_gelu ? "1.DenseReluDense.wi_0.weight" : "1.DenseReluDense.wi.weight";
  if (blk.has(wi)) c.d_ff = blk.shape(wi).at(0);
  // A T5Config in the metadata (not, in an all-in-one file, another model's config).
  const std::string meta = store.metadata("config");
  if (!meta.empty()) {
    const json::Value v = json::parse(meta, store.source() + ": metadata config");
    const json::Value* d_model = v.is_object() ? v.find("d_model") : nullptr;
    if (d_model && d_model->is_integer() && d_model->as_int() == c.d_model) c.apply_json(v);
  }
  c.validate(store.source());
  return c;
}

}  // namespace fluxgen::t5
