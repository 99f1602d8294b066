#include "models/t5/t5_encoder.h"

#include "models/t5/t5_relative_position.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::t5 {

std::unique_ptr<T5Encoder> T5Encoder::load(std::shared_ptr<const TensorStore> store, const T5LoadOptions& options) {
  const auto where = find_t5_encoder(*store);
  if (!where)
    fail(store->source(), ": no T5 encoder found (expected keys like encoder.block.0.layer.0.SelfAttention.q.weight)");
  if (where->embedding.empty())
    fail(store->source(), ": the T5 encoder has no token embedding (", where->prefix, "shared.weight or ",
         where->prefix, "encoder.embed_tokens.weight)");
  for (const auto& name : store->names())
    if ((starts_with(name, where->prefix) && ends_with(name, ".scale_weight")) || name == "scaled_fp8" ||
        name == where->prefix + "scaled_fp8")
      fail(store->source(), ": tensor ", name, " marks a ComfyUI \"scaled fp8\" file, which is not supported; use "
                            "t5xxl_fp16.safetensors or t5xxl_fp8_e4m3fn.safetensors");
  auto m = std::unique_ptr<T5Encoder>(new T5Encoder());
  m->config_ = infer_t5_config(*store, *where);
  const T5Config& c = m->config_;
  m->source_ = Weights(store, where->prefix);
  const Weights& w = m->source_;
  const nn::StoragePolicy policy{options.storage, options.block_size};
  m->embed_tokens = w.get(where->embedding, {c.vocab_size, c.d_model});
  m->relative_attention_bias = w.get("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                     {c.relative_attention_num_buckets, c.num_heads});
  m->blocks.reserve(static_cast<size_t>(c.num_layers));
  for (int64_t i = 0; i < c.num_layers; ++i) m->blocks.emplace_back(w.sub("encoder.block").sub(i), c, policy);
  m->final_layer_norm = nn::RMSNorm(w.sub("encoder.final_layer_norm"), c.d_model, c.layer_norm_epsilon);
  return m;
}

Tensor T5Encoder::forward(const Tensor& ids_in) const {
  const T5Config& c = config_;
  const std::string& src = source_.store().source();
  check(ids_in.ndim() == 2 && ids_in.dim(0) > 0 && ids_in.dim(1) > 0, src, ": T5 input ids must be [batch, tokens], got ",
        ids_in.describe());
  const int64_t L = ids_in.dim(1);
  const Tensor ids = convert(ids_in, DType::I64);
  const int64_t* id = ids.data<int64_t>();
  for (int64_t i = 0; i < ids.numel(); ++i)
    check(id[i] >= 0 && id[i] < c.vocab_size, src, ": T5 token id ", id[i], " at position ", i % L,
          " is outside the vocabulary of ", c.vocab_size);
  Tensor h = ops::embedding(ids, embed_tokens);
  // Built on the host, placed beside the activations once for all layers.
  const Tensor bias =
      ops::to_device_of(relative_position_bias(relative_attention_bias, L, c.relative_attention_max_distance), h);
  for (const T5Block& b : blocks) h = b.forward(h, bias);
  return final_layer_norm.forward(h);
}

Tensor T5Encoder::forward(const std::vector<int32_t>& ids) const {
  std::vector<float> v(ids.begin(), ids.end());
  return forward(Tensor::from_vector({1, static_cast<int64_t>(ids.size())}, v));
}

std::vector<std::pair<std::string, nn::Linear*>> T5Encoder::linear_layers() {
  return nn::linears_by_key(source_.prefix(), [this](const nn::LinearVisitor& f) {
    for (T5Block& b : blocks) b.for_each_linear(f);
  });
}

}  // namespace fluxgen::t5
