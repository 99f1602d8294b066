#include "models/flux/single_stream_block.h"

namespace fluxgen::flux {

SingleStreamBlock::SingleStreamBlock(const Weights& w, const FluxConfig& c, const nn::StoragePolicy& policy)
    : linear1(w.sub("linear1"), c.hidden_size, 3 * c.hidden_size + c.mlp_hidden(), true, policy),
      linear2(w.sub("linear2"), c.hidden_size + c.mlp_hidden(), c.hidden_size, true, policy),
      norm(w.sub("norm"), c.head_dim()),
      modulation(w.sub("modulation"), c.hidden_size, 1, policy),
      heads_(c.num_heads),
      hidden_(c.hidden_size) {}

Tensor SingleStreamBlock::forward(const Tensor& x, const Tensor& vec, const RopeTables& pe) const {
  const ModulationOut mod = modulation.forward(vec)[0];
  // linear1's output is the widest activation of the model (3·hidden + mlp per token): it is let
  // go as soon as its two parts are copied out, which lowers a step's peak memory.
  Tensor qkv, mlp;
  {
    const Tensor h = linear1.forward(modulated_norm(x, mod));
    qkv = ops::slice(h, -1, 0, 3 * hidden_);
    mlp = ops::slice(h, -1, 3 * hidden_, h.dim(-1));
  }
  mlp = ops::gelu_tanh(mlp);
  Tensor attn = rope_attention(split_qkv(qkv, heads_, norm), pe);
  qkv = Tensor();
  const Tensor out = linear2.forward(ops::concat({attn, mlp}, -1));
  return gated_residual(x, mod, out);
}

}  // namespace fluxgen::flux
