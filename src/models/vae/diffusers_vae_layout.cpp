#include "models/vae/diffusers_vae_layout.h"

#include <map>

#include "util/error.h"
#include "util/map_keys.h"

namespace fluxgen::vae {

namespace {

class DiffusersVaeStore final : public TensorStore {
 public:
  DiffusersVaeStore(std::shared_ptr<const TensorStore> base, const std::string& p, const VaeConfig& c)
      : base_(std::move(base)) {
    const int64_t levels = static_cast<int64_t>(c.ch_mult.size());
    auto resnet = [&](const std::string& bfl, const std::string& diff) {
      for (const char* part : {"norm1", "conv1", "norm2", "conv2"}) module(bfl + "." + part, p + diff + "." + part);
      module(bfl + ".nin_shortcut", p + diff + ".conv_shortcut");
    };
    auto attention = [&](const std::string& bfl, const std::string& diff) {
      module(bfl + ".norm", p + diff + ".group_norm");
      // Current diffusers names, then the pre-0.14 ones.
      const bool modern = base_->contains(p + diff + ".to_q.weight");
      module(bfl + ".q", p + diff + (modern ? ".to_q" : ".query"), true);
      module(bfl + ".k", p + diff + (modern ? ".to_k" : ".key"), true);
      module(bfl + ".v", p + diff + (modern ? ".to_v" : ".value"), true);
      module(bfl + ".proj_out", p + diff + (modern ? ".to_out.0" : ".proj_attn"), true);
    };
    for (const std::string side : {"encoder", "decoder"}) {
      module(side + ".conv_in", p + side + ".conv_in");
      module(side + ".conv_out", p + side + ".conv_out");
      module(side + ".norm_out", p + side + ".conv_norm_out");
      resnet(side + ".mid.block_1", side + ".mid_block.resnets.0");
      resnet(side + ".mid.block_2", side + ".mid_block.resnets.1");
      attention(side + ".mid.attn_1", side + ".mid_block.attentions.0");
    }
    for (int64_t i = 0; i < levels; ++i) {
      const std::string e = "encoder.down." + std::to_string(i);
      const std::string ed = "encoder.down_blocks." + std::to_string(i);
      for (int64_t j = 0; j < c.num_res_blocks; ++j)
        resnet(e + ".block." + std::to_string(j), ed + ".resnets." + std::to_string(j));
      module(e + ".downsample.conv", p + ed + ".downsamplers.0.conv");
      // diffusers numbers decoder levels from the lowest resolution, BFL from the highest.
      const std::string d = "decoder.up." + std::to_string(i);
      const std::string dd = "decoder.up_blocks." + std::to_string(levels - 1 - i);
      for (int64_t j = 0; j <= c.num_res_blocks; ++j)
        resnet(d + ".block." + std::to_string(j), dd + ".resnets." + std::to_string(j));
      module(d + ".upsample.conv", p + dd + ".upsamplers.0.conv");
    }
  }

  std::vector<std::string> names() const override { return map_keys(map_); }
  bool contains(const std::string& name) const override { return map_.count(name) > 0; }
  std::string source() const override { return base_->source(); }
  std::string metadata(const std::string& key) const override { return base_->metadata(key); }
  Shape shape(const std::string& name) const override {
    const Entry& e = entry(name);
    Shape s = base_->shape(e.source);
    if (e.linear_to_conv && s.size() == 2) s = {s[0], s[1], 1, 1};
    return s;
  }
  DType dtype(const std::string& name) const override { return base_->dtype(entry(name).source); }
  Tensor get(const std::string& name) const override {
    const Entry& e = entry(name);
    Tensor t = base_->get(e.source);
    if (e.linear_to_conv && t.ndim() == 2) t = t.reshape({t.dim(0), t.dim(1), 1, 1});
    return t;
  }

 private:
  struct Entry {
    std::string source;
    bool linear_to_conv;
  };
  void module(const std::string& bfl, const std::string& diff, bool linear_to_conv = false) {
    for (const char* param : {".weight", ".bias"})
      if (base_->contains(diff + param)) map_[bfl + param] = Entry{diff + param, linear_to_conv};
  }
  const Entry& entry(const std::string& name) const {
    auto it = map_.find(name);
    if (it == map_.end()) fail(base_->source(), ": tensor ", name, " (BFL name) has no diffusers counterpart");
    return it->second;
  }
  std::shared_ptr<const TensorStore> base_;
  std::map<std::string, Entry> map_;
};

}  // namespace

std::shared_ptr<TensorStore> diffusers_vae_as_bfl(std::shared_ptr<const TensorStore> store, const std::string& prefix,
                                                  const VaeConfig& c) {
  return std::make_shared<DiffusersVaeStore>(std::move(store), prefix, c);
}

}  // namespace fluxgen::vae
