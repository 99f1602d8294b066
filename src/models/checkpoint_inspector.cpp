#include "models/checkpoint_inspector.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

#include "models/flux/flux_config.h"
#include "nn/weights.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

std::string model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::FluxTransformer: return "FLUX transformer";
    case ModelKind::FluxAutoencoder: return "FLUX autoencoder";
    case ModelKind::ClipText: return "CLIP text encoder";
    case ModelKind::T5Encoder: return "T5 encoder";
    case ModelKind::Lora: return "LoRA";
    case ModelKind::Esrgan: return "ESRGAN upscaler (RRDBNet)";
    case ModelKind::SrvggCompact: return "Real-ESRGAN compact upscaler (SRVGGNetCompact)";
    case ModelKind::TaesdEncoder: return "TAESD/TAEF1 encoder";
    case ModelKind::TaesdDecoder: return "TAESD/TAEF1 decoder";
    case ModelKind::Yolo: return "YOLOv8 detector";
  }
  return "?";
}

namespace {

std::string str(int64_t v) { return std::to_string(v); }

Weights view(const TensorStore& store, const std::string& prefix) {
  return Weights(std::shared_ptr<const TensorStore>(std::shared_ptr<const TensorStore>{}, &store), prefix);
}

void add_flux(const TensorStore& store, FileReport& r) {
  using namespace flux;
  auto where = detect_flux(store);
  if (!where) return;
  Component c{ModelKind::FluxTransformer, where->layout == FluxLayout::BFL ? "BFL" : "diffusers", where->prefix, {}};
  if (where->prefix == "model.diffusion_model.") c.layout += ", all-in-one checkpoint";
  const FluxConfig cfg = infer_flux_config(store, *where);
  const Weights w = view(store, where->prefix);
  const std::string probe = where->layout == FluxLayout::BFL ? "double_blocks.0.img_attn.qkv.weight"
                                                             : "transformer_blocks.0.attn.to_q.weight";
  if (cfg.depth > 0) {
    const DType dt = store.dtype(w.key(probe));
    std::string storage(dtype_name(dt));
    if (dtype_is_quantized_block(dt)) storage += " (bitsandbytes pre-quantized, used as is)";
    if (dtype_is_gguf_block(dt)) storage += " (GGUF blocks, used as is, decoded a band of rows at a time)";
    if (dt == DType::F8_E4M3 || dt == DType::F8_E5M2) storage += " (float8)";
    c.facts.emplace_back("weights", storage);
  }
  c.facts.emplace_back("double blocks", str(cfg.depth));
  c.facts.emplace_back("single blocks", str(cfg.depth_single_blocks));
  c.facts.emplace_back("hidden size", str(cfg.hidden_size));
  c.facts.emplace_back("heads", str(cfg.num_heads) + " x " + str(cfg.head_dim()) + " (head dim from the QK-norm length)");
  c.facts.emplace_back("mlp ratio", std::to_string(cfg.mlp_ratio).substr(0, 4));
  c.facts.emplace_back("in/out channels", str(cfg.in_channels) + "/" + str(cfg.out_channels));
  c.facts.emplace_back("context dim", str(cfg.context_in_dim));
  c.facts.emplace_back("pooled vector dim", str(cfg.vec_in_dim));
  c.facts.emplace_back("guidance embedding", cfg.guidance_embed ? "yes (FLUX.1-dev style)" : "no (FLUX.1-schnell style)");
  c.facts.emplace_back("qkv bias", cfg.qkv_bias ? "yes" : "no");
  c.facts.emplace_back("axes_dim", shape_string(cfg.axes_dim));
  r.components.push_back(std::move(c));
}

void add_vae(const TensorStore& store, const std::vector<std::string>& names, FileReport& r) {
  for (const auto& p : key_prefixes(names, "decoder.conv_in.weight")) {
    const Weights w = view(store, p);
    const bool bfl = w.has("encoder.down.0.block.0.conv1.weight") || w.has("decoder.up.0.block.0.conv1.weight");
    const bool diffusers = w.has("encoder.down_blocks.0.resnets.0.conv1.weight") || w.has("decoder.up_blocks.0.resnets.0.conv1.weight");
    if (!bfl && !diffusers) continue;
    Component c{ModelKind::FluxAutoencoder, bfl ? "BFL" : "diffusers", p, {}};
    const int64_t z = w.shape("decoder.conv_in.weight").at(1);
    c.facts.emplace_back("latent channels", str(z));
    if (w.has("encoder.conv_in.weight")) {
      const int64_t ch = w.shape("encoder.conv_in.weight").at(0);
      const int64_t levels = bfl ? w.count("encoder.down") : w.count("encoder.down_blocks");
      std::string mult;
      for (int64_t i = 0; i < levels && ch > 0; ++i) {
        const std::string k = bfl ? "encoder.down." + str(i) + ".block.0.conv2.weight"
                                  : "encoder.down_blocks." + str(i) + ".resnets.0.conv2.weight";
        if (!w.has(k)) continue;
        mult += (mult.empty() ? "" : ", ") + str(w.shape(k).at(0) / ch);
      }
      c.facts.emplace_back("base channels", str(ch));
      c.facts.emplace_back("channel multipliers", "[" + mult + "]");
      if (levels <= 16) c.facts.emplace_back("downsampling factor", str(int64_t(1) << std::max<int64_t>(levels - 1, 0)));
    } else {
      c.facts.emplace_back("parts", "decoder only");
    }
    if (z != 16) c.facts.emplace_back("note", "not 16 latent channels: not a FLUX autoencoder (SD/SDXL VAE?)");
    r.components.push_back(std::move(c));
  }
}

void add_clip(const TensorStore& store, const std::vector<std::string>& names, FileReport& r) {
  for (const auto& p : key_prefixes(names, "text_model.embeddings.token_embedding.weight")) {
    const Weights w = view(store, p);
    Component c{ModelKind::ClipText, "transformers", p, {}};
    const Shape emb = w.shape("text_model.embeddings.token_embedding.weight");
    c.facts.emplace_back("vocabulary", str(emb.at(0)));
    c.facts.emplace_back("hidden size", str(emb.at(1)));
    c.facts.emplace_back("layers", str(w.count("text_model.encoder.layers")));
    if (emb.at(1) == 768) c.facts.emplace_back("variant", "CLIP-L (ViT-L/14 text tower)");
    r.components.push_back(std::move(c));
  }
}

void add_t5(const TensorStore& store, const std::vector<std::string>& names, FileReport& r) {
  for (const auto& p : key_prefixes(names, "encoder.block.0.layer.0.SelfAttention.q.weight")) {
    const Weights w = view(store, p);
    Component c{ModelKind::T5Encoder, "transformers", p, {}};
    const std::string emb = w.has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
    if (w.has(emb)) {
      c.facts.emplace_back("vocabulary", str(w.shape(emb).at(0)));
      c.facts.emplace_back("d_model", str(w.shape(emb).at(1)));
    }
    c.facts.emplace_back("layers", str(w.count("encoder.block")));
    if (w.has("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"))
      c.facts.emplace_back("heads", str(w.shape("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").at(1)));
    c.facts.emplace_back("feed-forward", w.has("encoder.block.0.layer.1.DenseReluDense.wi_0.weight") ? "gated-gelu (T5 v1.1)" : "relu (T5 v1.0)");
    c.facts.emplace_back("weights", std::string(dtype_name(store.dtype(w.key("encoder.block.0.layer.0.SelfAttention.q.weight")))));
    r.components.push_back(std::move(c));
  }
}

void add_lora(const std::vector<std::string>& names, FileReport& r) {
  int64_t kohya = 0, bfl = 0, peft = 0, other = 0, modules = 0;
  std::set<std::string> unsupported;
  for (const auto& n : names) {
    if (n.find("lokr_w1") != std::string::npos) unsupported.insert("LoKr");
    if (n.find("hada_w1_a") != std::string::npos) unsupported.insert("LoHa");
    if (n.find("dora_scale") != std::string::npos || n.find("lora_magnitude_vector") != std::string::npos) unsupported.insert("DoRA");
    const bool down = n.find(".lora_down.weight") != std::string::npos || n.find(".lora_A.weight") != std::string::npos ||
                      n.find(".lora_A.default.weight") != std::string::npos;
    if (!down) continue;
    ++modules;
    if (starts_with(n, "lora_unet_") || starts_with(n, "lora_te")) ++kohya;
    else if (starts_with(n, "diffusion_model.") || starts_with(n, "model.diffusion_model.")) ++bfl;
    else if (starts_with(n, "transformer.") || starts_with(n, "base_model.model.")) ++peft;
    else ++other;
  }
  if (modules == 0 && unsupported.empty()) return;
  Component c{ModelKind::Lora, "", "", {}};
  std::vector<std::string> layouts;
  if (kohya) layouts.push_back("kohya/sd-scripts");
  if (bfl) layouts.push_back("BFL/ComfyUI");
  if (peft) layouts.push_back("diffusers/PEFT");
  if (other) layouts.push_back("unrecognised naming");
  c.layout = join(layouts, " + ");
  c.facts.emplace_back("modules", str(modules));
  if (!unsupported.empty())
    c.facts.emplace_back("unsupported kinds", join(std::vector<std::string>(unsupported.begin(), unsupported.end()), ", "));
  r.components.push_back(std::move(c));
}

void add_upscalers(const TensorStore& store, const std::vector<std::string>& names, FileReport& r) {
  for (const auto& p : key_prefixes(names, "model.1.sub.0.RDB1.conv1.0.weight")) {
    const Weights w = view(store, p);
    Component c{ModelKind::Esrgan, "original ESRGAN (model.N)", p, {}};
    c.facts.emplace_back("features", str(w.shape("model.0.weight").at(0)));
    c.facts.emplace_back("growth channels", str(w.shape("model.1.sub.0.RDB1.conv1.0.weight").at(0)));
    c.facts.emplace_back("RRDB blocks", str(w.count("model.1.sub") - 1));
    r.components.push_back(std::move(c));
  }
  for (const auto& p : key_prefixes(names, "body.0.rdb1.conv1.weight")) {
    const Weights w = view(store, p);
    Component c{ModelKind::Esrgan, "BasicSR/Real-ESRGAN (conv_first, body.N.rdbK)", p, {}};
    if (w.has("conv_first.weight")) c.facts.emplace_back("features", str(w.shape("conv_first.weight").at(0)));
    c.facts.emplace_back("growth channels", str(w.shape("body.0.rdb1.conv1.weight").at(0)));
    c.facts.emplace_back("RRDB blocks", str(w.count("body")));
    r.components.push_back(std::move(c));
  }
  for (const auto& p : key_prefixes(names, "body.0.weight")) {
    const Weights w = view(store, p);
    if (w.has("body.0.rdb1.conv1.weight") || w.shape("body.0.weight").size() != 4 || w.shape("body.0.weight").at(1) != 3)
      continue;
    Component c{ModelKind::SrvggCompact, "Real-ESRGAN (body.N)", p, {}};
    c.facts.emplace_back("features", str(w.shape("body.0.weight").at(0)));
    r.components.push_back(std::move(c));
  }
}

void add_taesd(const TensorStore& store, FileReport& r) {
  // madebyollin's TAESD is an nn.Sequential: the encoder opens with "0" = conv from the 3 image
  // channels followed by Block "1" (conv.0/2/4); the decoder opens with Clamp (no weights), then
  // "1" = conv from the latent channels and Blocks from "3".
  if (store.contains("0.weight") && store.contains("1.conv.0.weight") && store.shape("0.weight").size() == 4 &&
      store.shape("0.weight")[1] == 3) {
    Component c{ModelKind::TaesdEncoder, "madebyollin/taesd (Sequential)", "", {}};
    r.components.push_back(std::move(c));
  } else if (store.contains("1.weight") && store.contains("3.conv.0.weight") && store.shape("1.weight").size() == 4) {
    Component c{ModelKind::TaesdDecoder, "madebyollin/taesd (Sequential)", "", {}};
    c.facts.emplace_back("latent channels", str(store.shape("1.weight")[1]));
    r.components.push_back(std::move(c));
  }
}

void add_yolo(const std::vector<std::string>& names, FileReport& r) {
  for (const auto& n : names) {
    if (ends_with(n, ".dfl.conv.weight")) {
      Component c{ModelKind::Yolo, "Ultralytics", n.substr(0, n.find("model.") == 0 ? 0 : n.find("model.")), {}};
      r.components.push_back(std::move(c));
      return;
    }
  }
}

}  // namespace

namespace {
// Detectors read shapes with .at(): a file whose tensors have fewer dimensions than the model's
// becomes an error naming the file, not a bare std::out_of_range (or a crash).
template <typename Detect>
void guarded(const TensorStore& store, const char* model, Detect&& detect) {
  try {
    detect();
  } catch (const std::out_of_range&) {
    fail(store.source(), ": tensors named like a ", model, " have too few dimensions for one");
  }
}
}  // namespace

FileReport inspect_store(const TensorStore& store) {
  FileReport r;
  r.source = store.source();
  const auto names = store.names();
  r.tensor_count = static_cast<int64_t>(names.size());
  r.architecture = store.metadata("general.architecture");
  for (const auto& n : names) {
    const DType dt = store.dtype(n);
    const uint64_t bytes = dtype_storage_bytes(dt, shape_numel(store.shape(n)));
    auto& u = r.by_dtype[std::string(dtype_name(dt))];
    ++u.tensors;
    u.bytes += bytes;
    r.data_bytes += bytes;
  }
  guarded(store, "FLUX transformer", [&] { add_flux(store, r); });
  guarded(store, "FLUX autoencoder", [&] { add_vae(store, names, r); });
  guarded(store, "CLIP text model", [&] { add_clip(store, names, r); });
  guarded(store, "T5 encoder", [&] { add_t5(store, names, r); });
  add_lora(names, r);
  guarded(store, "ESRGAN upscaler", [&] { add_upscalers(store, names, r); });
  guarded(store, "TAESD autoencoder", [&] { add_taesd(store, r); });
  add_yolo(names, r);
  return r;
}

std::string format_report(const FileReport& r) {
  std::ostringstream os;
  os << r.source << ": " << r.tensor_count << " tensors, " << format_bytes(r.data_bytes) << "\n";
  os << "  dtypes:";
  for (const auto& [name, u] : r.by_dtype) os << " " << name << " " << u.tensors << " (" << format_bytes(u.bytes) << ")";
  os << "\n";
  if (!r.architecture.empty()) os << "  GGUF architecture: " << r.architecture << "\n";
  if (r.components.empty()) os << "  contents: not recognised (no known model's keys)\n";
  for (const auto& c : r.components) {
    os << "  " << model_kind_name(c.kind);
    if (!c.layout.empty()) os << ", " << c.layout << " layout";
    if (!c.prefix.empty()) os << ", prefix \"" << c.prefix << "\"";
    os << "\n";
    for (const auto& [k, v] : c.facts) os << "    " << k << ": " << v << "\n";
  }
  return os.str();
}

}  // namespace fluxgen
