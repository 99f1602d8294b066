#include "models/flux/double_stream_block.h"

namespace fluxgen::flux {

StreamWeights::StreamWeights(const Weights& w, const std::string& s, const FluxConfig& c, const nn::StoragePolicy& policy)
    : mod(w.sub(s + "_mod"), c.hidden_size, 2, policy),
      attn_qkv(w.sub(s + "_attn").sub("qkv"), c.hidden_size, 3 * c.hidden_size, c.qkv_bias, policy),
      attn_norm(w.sub(s + "_attn").sub("norm"), c.head_dim()),
      attn_proj(w.sub(s + "_attn").sub("proj"), c.hidden_size, c.hidden_size, true, policy),
      mlp_0(w.sub(s + "_mlp").sub("0"), c.hidden_size, c.mlp_hidden(), true, policy),
      mlp_2(w.sub(s + "_mlp").sub("2"), c.mlp_hidden(), c.hidden_size, true, policy) {}

DoubleStreamBlock::DoubleStreamBlock(const Weights& w, const FluxConfig& c, const nn::StoragePolicy& policy)
    : img(w, "img", c, policy), txt(w, "txt", c, policy), heads_(c.num_heads) {}

StreamPair DoubleStreamBlock::forward(const Tensor& img_in, const Tensor& txt_in, const Tensor& vec,
                                      const RopeTables& pe) const {
  Tensor img_x = img_in, txt_x = txt_in;
  const auto img_m = img.mod.forward(vec);
  const auto txt_m = txt.mod.forward(vec);
  const HeadsQKV iq = split_qkv(img.attn_qkv.forward(modulated_norm(img_x, img_m[0])), heads_, img.attn_norm);
  const HeadsQKV tq = split_qkv(txt.attn_qkv.forward(modulated_norm(txt_x, txt_m[0])), heads_, txt.attn_norm);
  const HeadsQKV joint{ops::concat({tq.q, iq.q}, 2), ops::concat({tq.k, iq.k}, 2), ops::concat({tq.v, iq.v}, 2)};
  const Tensor attn = rope_attention(joint, pe);  // [B, Lt + Li, hidden]
  const int64_t Lt = txt_x.dim(1), L = attn.dim(1);
  const Tensor txt_attn = ops::slice(attn, 1, 0, Lt);
  const Tensor img_attn = ops::slice(attn, 1, Lt, L);

  img_x = gated_residual(img_x, img_m[0], img.attn_proj.forward(img_attn));
  img_x = gated_residual(img_x, img_m[1],
                         img.mlp_2.forward(ops::gelu_tanh(img.mlp_0.forward(modulated_norm(img_x, img_m[1])))));
  txt_x = gated_residual(txt_x, txt_m[0], txt.attn_proj.forward(txt_attn));
  txt_x = gated_residual(txt_x, txt_m[1],
                         txt.mlp_2.forward(ops::gelu_tanh(txt.mlp_0.forward(modulated_norm(txt_x, txt_m[1])))));
  return {img_x, txt_x};
}

}  // namespace fluxgen::flux
