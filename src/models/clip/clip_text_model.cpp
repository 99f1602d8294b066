#include "models/clip/clip_text_model.h"

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::clip {

int64_t clip_pooled_position(const int64_t* ids, int64_t length, int64_t eos_token_id) {
  int64_t best = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (eos_token_id == 2) {
      if (ids[i] > ids[best]) best = i;
    } else if (ids[i] == eos_token_id) {
      return i;
    }
  }
  return eos_token_id == 2 ? best : 0;
}

std::unique_ptr<ClipTextModel> ClipTextModel::load(std::shared_ptr<const TensorStore> store,
                                                   const ClipLoadOptions& options) {
  const auto prefix = find_clip_text(*store);
  if (!prefix)
    fail(store->source(), ": no CLIP text model found (expected a key ending in "
                          "text_model.embeddings.token_embedding.weight)");
  auto m = std::unique_ptr<ClipTextModel>(new ClipTextModel());
  m->config_ = infer_clip_text_config(*store, *prefix);
  const ClipTextConfig& c = m->config_;
  m->source_ = Weights(store, *prefix);
  const Weights w = m->source_.sub("text_model");
  const nn::StoragePolicy policy{options.storage, options.block_size};
  m->token_embedding = w.get("embeddings.token_embedding.weight", {c.vocab_size, c.hidden_size});
  m->position_embedding = w.get("embeddings.position_embedding.weight", {c.max_position_embeddings, c.hidden_size});
  m->layers.reserve(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) m->layers.emplace_back(w.sub("encoder.layers").sub(i), c, policy);
  m->final_layer_norm = nn::LayerNorm(w.sub("final_layer_norm"), c.hidden_size, c.layer_norm_eps);
  return m;
}

ClipTextOutput ClipTextModel::forward(const Tensor& ids_in) const {
  const ClipTextConfig& c = config_;
  const std::string& src = source_.store().source();
  check(ids_in.ndim() == 2 && ids_in.dim(0) > 0 && ids_in.dim(1) > 0, src, ": CLIP input ids must be [batch, tokens], got ",
        ids_in.describe());
  const int64_t B = ids_in.dim(0), L = ids_in.dim(1);
  check(L <= c.max_position_embeddings, src, ": ", L, " CLIP tokens exceed the model's ", c.max_position_embeddings,
        " positions");
  const Tensor ids = convert(ids_in, DType::I64);
  const int64_t* id = ids.data<int64_t>();
  for (int64_t i = 0; i < B * L; ++i)
    check(id[i] >= 0 && id[i] < c.vocab_size, src, ": CLIP token id ", id[i], " at position ", i % L,
          " is outside the vocabulary of ", c.vocab_size);

  std::vector<float> positions(static_cast<size_t>(L));
  for (int64_t i = 0; i < L; ++i) positions[static_cast<size_t>(i)] = static_cast<float>(i);
  Tensor h = ops::add(ops::embedding(ids, token_embedding),
                      ops::embedding(Tensor::from_vector({L}, positions), position_embedding));
  Tensor penultimate = h;  // hidden_states[-2] is the embeddings when there is a single layer
  for (size_t i = 0; i < layers.size(); ++i) {
    h = layers[i].forward(h);
    if (i + 2 == layers.size()) penultimate = h;
  }
  ClipTextOutput out;
  out.penultimate = penultimate;
  out.last_hidden_state = final_layer_norm.forward(h);
  std::vector<Tensor> rows;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t p = clip_pooled_position(id + b * L, L, c.eos_token_id);
    rows.push_back(ops::slice(ops::slice(out.last_hidden_state, 0, b, b + 1), 1, p, p + 1).reshape({1, c.hidden_size}));
  }
  out.pooled = ops::concat(rows, 0);
  return out;
}

ClipTextOutput ClipTextModel::forward(const std::vector<int32_t>& ids) const {
  std::vector<float> v(ids.begin(), ids.end());
  return forward(Tensor::from_vector({1, static_cast<int64_t>(ids.size())}, v));
}

std::vector<std::pair<std::string, nn::Linear*>> ClipTextModel::linear_layers() {
  return nn::linears_by_key(source_.prefix(), [this](const nn::LinearVisitor& f) {
    for (ClipEncoderLayer& l : layers) l.for_each_linear(f);
  });
}

}  // namespace fluxgen::clip
