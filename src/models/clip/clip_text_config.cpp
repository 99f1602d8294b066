#include "models/clip/clip_text_config.h"

#include "nn/weights.h"
#include "util/error.h"

namespace fluxgen::clip {

namespace {
constexpr std::string_view kAnchor = "text_model.embeddings.token_embedding.weight";
}

void ClipTextConfig::apply_json(const json::Value& v) {
  auto int_field = [&](const char* key, int64_t& out) {
    if (const json::Value* f = v.find(key); f && !f->is_null()) out = f->as_int();
  };
  int_field("vocab_size", vocab_size);
  int_field("hidden_size", hidden_size);
  int_field("intermediate_size", intermediate_size);
  int_field("num_hidden_layers", num_hidden_layers);
  int_field("num_attention_heads", num_attention_heads);
  int_field("max_position_embeddings", max_position_embeddings);
  int_field("eos_token_id", eos_token_id);
  if (const json::Value* f = v.find("hidden_act"); f && !f->is_null()) hidden_act = f->as_string();
  if (const json::Value* f = v.find("layer_norm_eps"); f && !f->is_null())
    layer_norm_eps = static_cast<float>(f->as_number());
}

void ClipTextConfig::validate(const std::string& source) const {
  check(hidden_size > 0 && num_attention_heads > 0 && hidden_size % num_attention_heads == 0, source,
        ": CLIP hidden size ", hidden_size, " does not split into ", num_attention_heads, " heads");
  check(num_hidden_layers > 0, source, ": CLIP text model has no encoder layers");
  check(max_position_embeddings > 0 && intermediate_size > 0 && vocab_size > 0, source,
        ": CLIP configuration has a non-positive size");
  check(hidden_act == "quick_gelu" || hidden_act == "gelu", source, ": CLIP activation \"", hidden_act,
        "\" is not supported (quick_gelu or gelu)");
  check(layer_norm_eps > 0.0f, source, ": CLIP layer_norm_eps must be positive");
}

std::optional<std::string> find_clip_text(const TensorStore& store) {
  const auto prefixes = key_prefixes(store, kAnchor);
  if (prefixes.empty()) return std::nullopt;
  for (const auto& p : prefixes) {
    const Shape s = store.shape(p + std::string(kAnchor));
    if (s.size() == 2 && s[1] == 768) return p;
  }
  return prefixes.front();
}

ClipTextConfig infer_clip_text_config(const TensorStore& store, const std::string& prefix) {
  std::shared_ptr<const TensorStore> alias(std::shared_ptr<const TensorStore>{}, &store);
  const Weights w(alias, prefix + "text_model");
  ClipTextConfig c;
  const Shape emb = w.shape("embeddings.token_embedding.weight");
  check(emb.size() == 2, store.source(), ": ", w.key("embeddings.token_embedding.weight"), " has shape ",
        emb.size(), "-D, expected [vocab, hidden]");
  c.vocab_size = emb[0];
  c.hidden_size = emb[1];
  c.num_hidden_layers = w.count("encoder.layers");
  c.num_attention_heads = std::max<int64_t>(1, c.hidden_size / 64);
  if (w.has("embeddings.position_embedding.weight"))
    c.max_position_embeddings = w.shape("embeddings.position_embedding.weight").at(0);
  if (w.has("encoder.layers.0.mlp.fc1.weight")) c.intermediate_size = w.shape("encoder.layers.0.mlp.fc1.weight").at(0);
  // A CLIPTextConfig in the metadata (not, in an all-in-one file, another model's config).
  const std::string meta = store.metadata("config");
  if (!meta.empty()) {
    const json::Value v = json::parse(meta, store.source() + ": metadata config");
    const json::Value* hidden = v.is_object() ? v.find("hidden_size") : nullptr;
    if (hidden && hidden->is_integer() && hidden->as_int() == c.hidden_size && v.contains("num_attention_heads"))
      c.apply_json(v);
  }
  c.validate(store.source());
  return c;
}

}  // namespace fluxgen::clip
