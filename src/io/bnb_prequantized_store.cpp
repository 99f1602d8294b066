#include "io/bnb_prequantized_store.h"

#include <cmath>
#include <map>

#include "io/json.h"
#include "tensor/bnb4.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

constexpr std::string_view kStateMarker = ".quant_state.bitsandbytes__";

struct QuantInfo {
  DType format;
  Shape shape;
  int block_size;
  std::string state_key;
};

class BnbPrequantizedStore final : public TensorStore {
 public:
  explicit BnbPrequantizedStore(std::shared_ptr<TensorStore> base) : base_(std::move(base)) {
    for (const auto& n : base_->names()) {
      const size_t pos = n.find(kStateMarker);
      if (pos == std::string::npos) continue;
      const std::string weight = n.substr(0, pos);
      const std::string type = n.substr(pos + kStateMarker.size());
      quant_[weight] = read_state(weight, n, type);
    }
    for (const auto& n : base_->names())
      if (!is_companion(n)) names_.push_back(n);
  }

  std::vector<std::string> names() const override { return names_; }
  bool contains(const std::string& name) const override { return base_->contains(name) && !is_companion(name); }
  std::string source() const override { return base_->source(); }
  std::string metadata(const std::string& key) const override { return base_->metadata(key); }

  Shape shape(const std::string& name) const override {
    auto it = quant_.find(name);
    return it == quant_.end() ? base_->shape(name) : it->second.shape;
  }
  DType dtype(const std::string& name) const override {
    auto it = quant_.find(name);
    return it == quant_.end() ? base_->dtype(name) : it->second.format;
  }

  Tensor get(const std::string& name) const override {
    auto it = quant_.find(name);
    if (it == quant_.end()) return base_->get(name);
    const QuantInfo& q = it->second;
    const int64_t n = shape_numel(q.shape);
    Tensor packed = base_->get(name);
    if (packed.dtype() != DType::U8 || packed.numel() * 2 < n)
      fail(source(), ": tensor ", name, " is ", packed.describe(), ", too small for ", dtype_name(q.format),
           shape_string(q.shape));
    check_quant_map(name + ".quant_map", bnb::code_table(q.format));
    const int64_t blocks = (n + q.block_size - 1) / q.block_size;
    Tensor absmax = read_absmax(name, q, blocks);
    return Tensor::quantized(q.shape, q.format, packed.reshape({packed.numel()}), std::move(absmax), q.block_size);
  }

 private:
  std::shared_ptr<TensorStore> base_;
  std::map<std::string, QuantInfo> quant_;
  std::vector<std::string> names_;

  bool is_companion(const std::string& n) const {
    for (const char* suffix : {".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map"}) {
      if (ends_with(n, suffix) && quant_.count(n.substr(0, n.size() - std::string_view(suffix).size()))) return true;
    }
    return n.find(kStateMarker) != std::string::npos;
  }

  QuantInfo read_state(const std::string& weight, const std::string& key, const std::string& type) const {
    QuantInfo q;
    q.state_key = key;
    if (type == "nf4")
      q.format = DType::NF4;
    else if (type == "fp4")
      q.format = DType::FP4;
    else
      fail(source(), ": tensor ", key, ": unsupported bitsandbytes quant type \"", type, "\"");
    const json::Value state = read_json(key);
    try {
      const std::string qt = state.string_or("quant_type", type);
      check(qt == type, "quant_type \"", qt, "\" disagrees with the key");
      q.block_size = static_cast<int>(state.int_or("blocksize", 64));
      check(q.block_size > 0 && q.block_size <= 4096 && q.block_size % 2 == 0, "blocksize ", q.block_size, " is invalid");
      for (const auto& d : state.at("shape").as_array()) {
        check(d.as_int() >= 0, "negative dimension");
        q.shape.push_back(d.as_int());
      }
      check(!q.shape.empty() && shape_numel(q.shape) < (int64_t(1) << 40), "shape is invalid");
    } catch (const Error& e) {
      fail(source(), ": tensor ", key, ": bad bitsandbytes quant state for ", weight, ": ", e.what());
    }
    return q;
  }

  json::Value read_json(const std::string& key) const {
    const Tensor t = base_->get(key);
    check(t.dtype() == DType::U8 || t.dtype() == DType::I8, source(), ": tensor ", key, " should hold JSON bytes");
    const std::string_view text(static_cast<const char*>(t.raw_data()), t.nbytes());
    return json::parse(text, source() + ": " + key);
  }

  void check_quant_map(const std::string& key, const std::array<float, 16>& expected) const {
    if (!base_->contains(key)) return;
    const std::vector<float> map = to_vector(base_->get(key));
    bool same = map.size() == 16;
    for (size_t i = 0; same && i < 16; ++i) same = std::fabs(map[i] - expected[i]) <= 1e-6f;
    if (!same) fail(source(), ": tensor ", key, " is not bitsandbytes' standard code table; not supported");
  }

  Tensor read_absmax(const std::string& name, const QuantInfo& q, int64_t blocks) const {
    const Tensor raw = base_->get(name + ".absmax");
    if (raw.numel() != blocks)
      fail(source(), ": tensor ", name, ".absmax has ", raw.numel(), " entries, ", blocks, " blocks expected");
    if (!base_->contains(name + ".nested_absmax")) return to_f32(raw);
    // Double quantization: absmax codes (U8) through a 256-entry map, per-256-block scales, offset.
    const json::Value state = read_json(q.state_key);
    // bnb's QuantState.from_dict requires both; a silently assumed offset would shift every scale.
    const json::Value* offset_v = state.find("nested_offset");
    const json::Value* block_v = state.find("nested_blocksize");
    if (!offset_v || !offset_v->is_number() || !block_v || !block_v->is_integer())
      fail(source(), ": tensor ", q.state_key, ": double-quantized absmax needs a number \"nested_offset\" and an ",
           "integer \"nested_blocksize\"");
    const int64_t nested_block = block_v->as_int();
    if (nested_block <= 0 || nested_block > (int64_t(1) << 20))
      fail(source(), ": tensor ", q.state_key, ": nested_blocksize ", nested_block, " is invalid");
    const float offset = static_cast<float>(offset_v->as_number());
    const Tensor codes = raw;
    if (codes.dtype() != DType::U8) fail(source(), ": tensor ", name, ".absmax should be U8 codes with nested absmax");
    const std::vector<float> nested_code = to_vector(base_->get(name + ".nested_quant_map"));
    const std::vector<float> nested_absmax = to_vector(base_->get(name + ".nested_absmax"));
    if (nested_code.size() != 256) fail(source(), ": tensor ", name, ".nested_quant_map must have 256 entries");
    try {
      return Tensor::from_vector({blocks}, bnb::dequantize_nested_absmax(codes.data<uint8_t>(), static_cast<size_t>(blocks),
                                                                         nested_code.data(), nested_absmax.data(),
                                                                         nested_absmax.size(),
                                                                         static_cast<int>(nested_block), offset));
    } catch (const Error& e) {
      fail(source(), ": tensor ", name, ".nested_absmax: ", e.what());
    }
  }
};

}  // namespace

bool has_bnb_quant_state(const TensorStore& store) {
  for (const auto& n : store.names())
    if (n.find(kStateMarker) != std::string::npos) return true;
  return false;
}

std::shared_ptr<TensorStore> wrap_bnb_prequantized(std::shared_ptr<TensorStore> store) {
  if (!has_bnb_quant_state(*store)) return store;
  return std::make_shared<BnbPrequantizedStore>(std::move(store));
}

}  // namespace fluxgen
