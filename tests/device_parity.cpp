#include "device_parity.h"

#include "pipeline/placement/device_weight_store.h"
#include "pipeline/placement/weight_streamer.h"
#include "backend/ops.h"
#include "io/safetensors.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "models/clip/clip_text_model.h"
#include "models/flux/flux_model.h"
#include "models/flux/step_graph.h"
#include "models/t5/t5_encoder.h"
#include "models/vae/autoencoder.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen::test {

namespace {

// The fixture's tensors (float ones converted when asked) behind a device-resident store.
std::shared_ptr<const TensorStore> placed(const std::string& file, const DeviceParityOptions& o) {
  std::shared_ptr<const TensorStore> host = open_tensor_store(fixture(file));
  if (o.weights) {
    auto converted = std::make_shared<MemoryStore>(host->source(), std::map<std::string, Tensor>{},
                                                   std::map<std::string, std::string>{{"config", host->metadata("config")}});
    for (const auto& n : host->names()) {
      const Tensor t = host->get(n);
      converted->put(n, dtype_is_float(t.dtype()) ? convert(t, *o.weights) : t);
    }
    host = converted;
  }
  return std::make_shared<DeviceWeightStore>(host, o.device);
}

Tensor up(const Tensor& host, Device device) { return backend_for(device).upload(host); }

flux::FluxInputs flux_inputs(const SafetensorsFile& io, Device device) {
  flux::FluxInputs in;
  in.img = up(io.get("in.img"), device);
  in.txt = up(io.get("in.txt"), device);
  in.y = up(io.get("in.y"), device);
  // Position ids stay on the host, as the pipeline keeps them: the model builds its RoPE tables there.
  in.img_ids = to_f32(io.get("in.img_ids"));
  in.txt_ids = to_f32(io.get("in.txt_ids"));
  in.timesteps = to_vector(io.get("in.timesteps"));
  in.guidance = to_vector(io.get("in.guidance"));
  return in;
}

double error(const Tensor& out, const Tensor& reference) { return rel_l2(ops::to_host(out), reference); }

}  // namespace

std::vector<StreamingParity> run_streaming_parities(Device device) {
  const auto io = SafetensorsFile::open(fixture("flux_io.safetensors"));
  const auto host = open_tensor_store(fixture("flux_bfl.safetensors"));
  const flux::FluxInputs in = flux_inputs(*io, device);
  std::vector<StreamingParity> r;
  for (const std::optional<DType> storage : {std::optional<DType>(), std::optional<DType>(DType::NF4)}) {
    const auto load = [&](bool stream) {
      flux::FluxLoadOptions opt;
      opt.storage = storage;
      opt.place = [stream, device](std::shared_ptr<const TensorStore> s, const std::string&, const flux::FluxConfig& c) {
        DeviceWeightStore::KeyFilter filter;
        if (stream) filter = [d = c.depth](const std::string& k) { return flux_block_index(k, d).has_value(); };
        return std::make_shared<DeviceWeightStore>(s, device, filter);
      };
      return flux::FluxModel::load(host, opt);
    };
    const Tensor resident = ops::to_host(load(false)->forward(in));
    auto model = load(true);
    std::vector<size_t> all(model->block_count());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    auto streamer = std::make_shared<WeightStreamer>(*model, all, backend_for(device));
    model->set_block_hooks(streamer);
    StreamingParity p;
    p.name = storage ? "nf4" : "file dtypes";
    p.blocks = all.size();
    p.step1 = error(model->forward(in), resident);
    p.uploads_after_step1 = streamer->uploads();
    p.step2 = error(model->forward(in), resident);
    r.push_back(p);
  }
  return r;
}

std::vector<DeviceParity> run_device_parities(const DeviceParityOptions& o) {
  std::vector<DeviceParity> r;
  {
    const auto io = SafetensorsFile::open(fixture("flux_io.safetensors"));
    auto model = flux::FluxModel::load(placed("flux_bfl.safetensors", o), flux::FluxLoadOptions{});
    const flux::FluxInputs in = flux_inputs(*io, o.device);
    r.push_back({"flux", error(model->forward(in), io->get("out.pred"))});
    {
      // The step as a device graph (a CUDA graph on a GPU): two other steps first (run plainly,
      // then captured), then the fixture's inputs through the replayed graph.
      flux::StepGraph graph(*model);
      for (int k = 1; k <= 2; ++k) {
        flux::FluxInputs other = in;
        other.img = ops::affine(in.img, 1.0f - 0.2f * static_cast<float>(k), 0.0f);
        other.timesteps.assign(in.timesteps.size(), 0.95f - 0.3f * static_cast<float>(k));
        graph.forward(other);
      }
      r.push_back({"flux step graph (replayed)", error(graph.forward(in), io->get("out.pred"))});
    }
    const lora::TargetResolver resolver(model->config());
    lora::LoraPatcher patcher(lora::Component::Transformer, model->linear_layers(), model->source());
    for (const std::string kind : {"kohya", "peft"}) {
      const lora::LoraSet set = lora::read_lora_file(fixture("flux_lora_" + kind + ".safetensors"), resolver);
      patcher.apply({{&set, 0.8f}}, LoraMode::Online);
      r.push_back({"flux lora " + kind + " (online)", error(model->forward(in), io->get("out.pred_lora_" + kind))});
    }
  }
  {
    const auto io = SafetensorsFile::open(fixture("flux_e2e_io.safetensors"));
    auto model = flux::FluxModel::load(placed("flux_e2e.safetensors", o), flux::FluxLoadOptions{});
    r.push_back({"flux e2e", error(model->forward(flux_inputs(*io, o.device)), io->get("out.pred"))});
  }
  {
    const auto io = SafetensorsFile::open(fixture("ae_io.safetensors"));
    auto ae = vae::AutoEncoder::load(placed("ae.safetensors", o));
    r.push_back({"vae encode", error(ae->encode(up(io->get("in.image"), o.device)), io->get("out.latent"))});
    r.push_back({"vae decode", error(ae->decode(up(io->get("in.latent"), o.device)), io->get("out.image"))});
  }
  {
    const auto io = SafetensorsFile::open(fixture("clip_io.safetensors"));
    auto model = clip::ClipTextModel::load(placed("clip_l.safetensors", o));
    const clip::ClipTextOutput out = model->forward(io->get("in.input_ids"));
    r.push_back({"clip last_hidden_state", error(out.last_hidden_state, io->get("out.last_hidden_state"))});
    r.push_back({"clip penultimate", error(out.penultimate, io->get("out.penultimate"))});
    r.push_back({"clip pooled", error(out.pooled, io->get("out.pooled"))});
  }
  {
    const auto io = SafetensorsFile::open(fixture("t5_io.safetensors"));
    auto model = t5::T5Encoder::load(placed("t5xxl.safetensors", o));
    r.push_back({"t5", error(model->forward(io->get("in.input_ids")), io->get("out.last_hidden_state"))});
  }
  return r;
}

}  // namespace fluxgen::test
