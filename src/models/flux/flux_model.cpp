#include "models/flux/flux_model.h"

#include <sstream>

#include "models/flux/diffusers_layout.h"
#include "tensor/host_memory.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::flux {

std::unique_ptr<FluxModel> FluxModel::load(std::shared_ptr<const TensorStore> store, const FluxLoadOptions& options) {
  const auto where = detect_flux(*store);
  if (!where) fail(store->source(), ": no FLUX transformer found (expected keys like double_blocks.0.img_attn.qkv.weight)");
  auto m = std::unique_ptr<FluxModel>(new FluxModel());
  m->config_ = infer_flux_config(*store, *where, options.config_override);
  const FluxConfig& c = m->config_;
  if (where->layout == FluxLayout::Diffusers)
    m->source_ = Weights(diffusers_as_bfl(store, where->prefix, c), "");
  else
    m->source_ = Weights(store, where->prefix);
  m->storage_ = options.storage;
  m->block_size_ = options.block_size;
  const Weights w = options.place ? Weights(options.place(m->source_.store_ptr(), m->source_.prefix(), c), m->source_.prefix())
                                  : m->source_;
  const nn::StoragePolicy policy{options.storage, options.block_size};

  m->img_in = nn::Linear(w.sub("img_in"), c.in_channels, c.hidden_size, true);
  m->txt_in = nn::Linear(w.sub("txt_in"), c.context_in_dim, c.hidden_size, true);
  m->time_in = MLPEmbedder(w.sub("time_in"), 256, c.hidden_size);
  m->vector_in = MLPEmbedder(w.sub("vector_in"), c.vec_in_dim, c.hidden_size);
  if (c.guidance_embed) m->guidance_in = MLPEmbedder(w.sub("guidance_in"), 256, c.hidden_size);
  m->double_blocks.reserve(static_cast<size_t>(c.depth));
  // Converting a block to a storage dtype leaves its file-dtype and fp32 temporaries in the host
  // cache (host_memory.h); no step allocates those sizes, so they go back after every block and the
  // load's peak is the converted weights plus one block's temporaries.
  for (int64_t i = 0; i < c.depth; ++i) {
    m->double_blocks.emplace_back(w.sub("double_blocks").sub(i), c, policy);
    trim_host_memory();
  }
  m->single_blocks.reserve(static_cast<size_t>(c.depth_single_blocks));
  for (int64_t i = 0; i < c.depth_single_blocks; ++i) {
    m->single_blocks.emplace_back(w.sub("single_blocks").sub(i), c, policy);
    trim_host_memory();
  }
  m->final_layer = LastLayer(w.sub("final_layer"), c);
  return m;
}

FluxStepInputs FluxModel::embed(const FluxInputs& in) const {
  const FluxConfig& c = config_;
  check(in.img.ndim() == 3 && in.img.dim(2) == c.in_channels, "FLUX: img must be [B, L, ", c.in_channels, "], got ",
        in.img.describe());
  check(in.txt.ndim() == 3 && in.txt.dim(2) == c.context_in_dim, "FLUX: txt must be [B, T, ", c.context_in_dim,
        "], got ", in.txt.describe());
  const int64_t B = in.img.dim(0);
  check(in.txt.dim(0) == B && in.y.ndim() == 2 && in.y.dim(0) == B && in.y.dim(1) == c.vec_in_dim,
        "FLUX: y must be [", B, ", ", c.vec_in_dim, "], got ", in.y.describe());
  check(static_cast<int64_t>(in.timesteps.size()) == B, "FLUX: ", in.timesteps.size(), " timesteps for batch ", B);
  check(in.img_ids.ndim() == 3 && in.img_ids.dim(1) == in.img.dim(1) && in.txt_ids.ndim() == 3 &&
            in.txt_ids.dim(1) == in.txt.dim(1),
        "FLUX: position ids ", in.img_ids.describe(), "/", in.txt_ids.describe(), " do not match the tokens");

  FluxStepInputs s;
  s.img = in.img;
  s.vec = time_in.forward(timestep_embedding(in.timesteps, 256));
  if (c.guidance_embed) {
    check(static_cast<int64_t>(in.guidance.size()) == B, "FLUX: this model needs a guidance value per image");
    s.vec = ops::add(s.vec, guidance_in.forward(timestep_embedding(in.guidance, 256)));
  }
  s.vec = ops::add(s.vec, vector_in.forward(in.y));
  s.txt = txt_in.forward(in.txt);
  s.pe = rope_tables(ops::concat({in.txt_ids, in.img_ids}, 1), c.axes_dim, c.theta);
  // Built on the host once per forward; placed beside the activations (in fp32) so that the
  // rope calls of every block do not each copy them to the device.
  s.pe.cos = ops::to_device_of(s.pe.cos, s.vec);
  s.pe.sin = ops::to_device_of(s.pe.sin, s.vec);
  return s;
}

Tensor FluxModel::blocks(const FluxStepInputs& s) const {
  Tensor img = img_in.forward(s.img);
  Tensor txt = s.txt;
  for (size_t i = 0; i < double_blocks.size(); ++i) run_double_block(i, img, txt, s.vec, s.pe);
  return final_layer.forward(run_single_blocks(img, txt, s.vec, s.pe), s.vec);
}

Tensor FluxModel::forward(const FluxInputs& in, StepCache* cache) const {
  const FluxStepInputs s = embed(in);
  if (!cache || cache->mode() == StepCacheMode::Off || double_blocks.empty()) return blocks(s);
  Tensor img = img_in.forward(s.img);
  Tensor txt = s.txt;
  const Tensor& vec = s.vec;
  const RopeTables& pe = s.pe;
  const float sigma = in.timesteps.front();
  // Where the cached residual starts: after the first double block (FBCache) or before it (TeaCache).
  size_t first_skipped = 0;
  if (cache->mode() == StepCacheMode::FirstBlock) {
    const Tensor before = img;
    run_double_block(0, img, txt, vec, pe);
    cache->count_blocks(1);
    first_skipped = 1;
    if (cache->reuse(ops::sub(img, before), sigma)) return final_layer.forward(ops::add(img, cache->residual()), vec);
  } else {
    const StreamWeights& first = double_blocks.front().img;
    const Tensor modulated = modulated_norm(img, first.mod.forward(vec)[0]);
    if (cache->reuse(modulated, sigma)) return final_layer.forward(ops::add(img, cache->residual()), vec);
  }
  const Tensor start = img;
  for (size_t i = first_skipped; i < double_blocks.size(); ++i) run_double_block(i, img, txt, vec, pe);
  const Tensor out = run_single_blocks(img, txt, vec, pe);
  cache->count_blocks(static_cast<int64_t>(double_blocks.size() - first_skipped + single_blocks.size()));
  cache->store(ops::sub(out, start));
  return final_layer.forward(out, vec);
}

Tensor FluxModel::run_single_blocks(const Tensor& img, const Tensor& txt, const Tensor& vec,
                                    const RopeTables& pe) const {
  const int64_t T = txt.dim(1);
  Tensor x = ops::concat({txt, img}, 1);
  for (size_t i = 0; i < single_blocks.size(); ++i) {
    const size_t index = double_blocks.size() + i;
    if (hooks_) hooks_->before_block(index);
    x = single_blocks[i].forward(x, vec, pe);
    if (hooks_) hooks_->after_block(index);
  }
  return ops::slice(x, 1, T, x.dim(1));
}

void FluxModel::run_double_block(size_t i, Tensor& img, Tensor& txt, const Tensor& vec, const RopeTables& pe) const {
  if (hooks_) hooks_->before_block(i);
  StreamPair out = double_blocks[i].forward(img, txt, vec, pe);
  img = std::move(out.img);
  txt = std::move(out.txt);
  if (hooks_) hooks_->after_block(i);
}

void FluxModel::for_each_linear(const nn::LinearVisitor& f) {
  f(img_in);
  f(txt_in);
  time_in.for_each_linear(f);
  vector_in.for_each_linear(f);
  if (config_.guidance_embed) guidance_in.for_each_linear(f);
  for (DoubleStreamBlock& b : double_blocks) b.for_each_linear(f);
  for (SingleStreamBlock& b : single_blocks) b.for_each_linear(f);
  final_layer.for_each_linear(f);
}

std::vector<std::pair<std::string, nn::Linear*>> FluxModel::linear_layers() {
  return nn::linears_by_key(source_.prefix(), [this](const nn::LinearVisitor& f) { for_each_linear(f); });
}

std::map<std::string, WeightUsage> FluxModel::weight_usage() {
  std::map<std::string, WeightUsage> usage;
  auto add = [&](const Tensor& t) {
    auto& u = usage[std::string(dtype_name(t.dtype()))];
    ++u.tensors;
    u.bytes += t.held_bytes();
  };
  for (const auto& [name, lin] : linear_layers()) {
    add(lin->weight());
    if (lin->bias()) add(*lin->bias());
  }
  // QK-norm scales: the only other parameters.
  const int64_t norms = 4 * config_.depth + 2 * config_.depth_single_blocks;
  if (norms > 0) {
    const std::string probe = config_.depth > 0 ? "double_blocks.0.img_attn.norm.query_norm.scale"
                                                : "single_blocks.0.norm.query_norm.scale";
    const DType dt = source_.store().dtype(source_.key(probe));
    auto& u = usage[std::string(dtype_name(dt))];
    u.tensors += norms;
    u.bytes += static_cast<uint64_t>(norms) * dtype_storage_bytes(dt, config_.head_dim());
  }
  return usage;
}

std::string FluxModel::describe_weight_usage() {
  std::ostringstream os;
  uint64_t total = 0;
  for (const auto& [dt, u] : weight_usage()) {
    os << "  " << dt << ": " << u.tensors << " tensors, " << format_bytes(u.bytes) << "\n";
    total += u.bytes;
  }
  os << "  total: " << format_bytes(total) << "\n";
  return os.str();
}

}  // namespace fluxgen::flux
