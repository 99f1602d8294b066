#include "pipeline/model_manager.h"

#include <filesystem>

#include <set>

#include "backend/ops.h"
#include "pipeline/placement/device_weight_store.h"
#include "pipeline/placement/weight_streamer.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

namespace {
// What a loaded transformer is: its file and its storage dtype.
std::string flux_key(const ModelFiles& files, const StorageOption& storage) {
  return files.transformer + "|" + (storage.dtype ? std::string(dtype_name(*storage.dtype)) : "auto");
}
}  // namespace

void ModelManager::load(const ModelFiles& files, const StorageOption& storage, const FluxWorkload& workload_in) {
  // The autoencoder first: on a device the transformer's plan counts what it holds.
  if (!vae_ || files.vae != files_.vae) {
    vae_.reset();
    vae_ = vae::AutoEncoder::load(place(placement(), open_tensor_store(files.vae)));
  }
  FluxWorkload workload = workload_in;
  workload.latent_factor = vae_->config().downscale();
  // A job that needs more than the plan left room for plans (and loads) the transformer again: larger
  // activations when blocks stream, or other models that would not fit beside it.
  bool outgrown = false;
  if (device() != Device::CPU && flux_) {
    const uint64_t activations = flux_activation_bytes(flux_->config(), workload);
    outgrown = (!plan_.streamed.empty() && activations > plan_.activation_bytes) ||
               (workload.auxiliary_bytes > 0 && backend_for(device()).memory().in_use + workload.auxiliary_bytes +
                                                        std::max(activations, plan_.activation_bytes) >
                                                    options_.placement.vram_budget);
  }
  if (!flux_ || flux_key(files, storage) != flux_key_ || outgrown) load_flux(files, storage, workload);
  files_ = files;
  storage_ = storage;
  const std::string text_key = files.clip + "|" + files.t5;
  if (text_key != text_key_) {
    text_.reset();
    text_key_ = text_key;
  }
}

void ModelManager::load_flux(const ModelFiles& files, const StorageOption& storage, const FluxWorkload& workload) {
  flux_.reset();  // free the old weights before loading the new ones
  flux_patcher_.reset();
  active_loras_.clear();
  flux_key_.clear();
  plan_ = {};
  flux::FluxLoadOptions opt;
  opt.storage = storage.dtype;
  const Device device = options_.placement.device;
  if (device != Device::CPU) {
    Backend& backend = backend_for(device);
    opt.place = [&](std::shared_ptr<const TensorStore> host, const std::string& prefix, const flux::FluxConfig& c) {
      FluxWorkload w = workload;
      w.activation_bytes = static_cast<int>(dtype_storage_bytes(backend.compute_dtype(), 1));
      plan_ = plan_flux_placement(flux_weight_sizes(*host, prefix, c, opt.storage, opt.block_size),
                                  flux_activation_bytes(c, w), options_.placement.vram_budget,
                                  backend.memory().in_use + workload.auxiliary_bytes);
      std::set<size_t> streamed(plan_.streamed.begin(), plan_.streamed.end());
      DeviceWeightStore::KeyFilter filter;
      if (!streamed.empty())
        filter = [streamed, depth = c.depth, prefix](const std::string& key) {
          const auto index = flux_block_index(key.substr(std::min(prefix.size(), key.size())), depth);
          return index && streamed.count(*index) > 0;
        };
      return std::make_shared<DeviceWeightStore>(host, device, filter);
    };
  }
  flux_ = flux::FluxModel::load(open_tensor_store(files.transformer), opt);
  if (!plan_.streamed.empty())
    flux_->set_block_hooks(std::make_shared<WeightStreamer>(*flux_, plan_.streamed, backend_for(device)));
  if (device != Device::CPU) notes_.push_back("transformer on " + options_.placement.describe() + ": " + plan_.describe());
  flux_key_ = flux_key(files, storage);
  flux_patcher_ = std::make_unique<lora::LoraPatcher>(lora::Component::Transformer, flux_->linear_layers(),
                                                      flux_->source(), flux_->block_size());
}

StorePlacement ModelManager::placement() const { return store_placement(device()); }

uint64_t ModelManager::auxiliary_device_bytes(const std::vector<std::string>& paths) const {
  if (device() == Device::CPU) return 0;
  uint64_t total = 0;
  for (const auto& path : std::set<std::string>(paths.begin(), paths.end())) {
    if (upscalers_.count(path) || detectors_.count(path)) continue;
    const auto store = open_tensor_store(path);  // the header only
    for (const auto& name : store->names()) total += dtype_storage_bytes(DType::F32, shape_numel(store->shape(name)));
  }
  return total;
}

Tensor ModelManager::to_model_device(const Tensor& t) const { return ops::to_device(t, device()); }

void ModelManager::release_transformer() {
  flux_patcher_.reset();  // holds views of the transformer's layers: before the transformer
  flux_.reset();
  flux_key_.clear();
  active_loras_.clear();
  plan_ = {};
  if (device() != Device::CPU) backend_for(device()).release_cached();
}

void ModelManager::unload() {
  release_transformer();
  vae_.reset();
  text_.reset();
  text_key_.clear();
  upscalers_.clear();
  detectors_.clear();
  lora_files_.clear();
  // The freed weights' blocks go back to the driver, so that the card's memory shows them gone.
  if (device() != Device::CPU) backend_for(device()).release_cached();
}

bool ModelManager::reload() {
  if (files_.transformer.empty()) return false;
  const ModelFiles files = files_;
  load(files, storage_);
  if (options_.keep_text_encoders) text();
  return true;
}

flux::FluxModel& ModelManager::flux() {
  check(flux_ != nullptr, "internal: no transformer loaded");
  return *flux_;
}

vae::AutoEncoder& ModelManager::vae() {
  check(vae_ != nullptr, "internal: no autoencoder loaded");
  return *vae_;
}

void ModelManager::load_text_encoders() {
  // Text encoders stay as the files store them (fp16 or fp8 T5): Forge's storage option is the
  // transformer's.
  std::shared_ptr<const TensorStore> clip_store = open_tensor_store(files_.clip), t5_store = open_tensor_store(files_.t5);
  if (device() != Device::CPU) {
    // On the device for the encode when they fit beside what is loaded (the CLI releases them right
    // after), else on the CPU: T5-XXL is 9.5 GB in fp16.
    const DeviceMemory m = backend_for(device()).memory();
    const uint64_t limit = options_.placement.vram_budget;
    const uint64_t need = clip_store->data_bytes() + t5_store->data_bytes();
    const uint64_t activations = need / 16 + (uint64_t(256) << 20);
    if (m.in_use + need + activations <= limit) {
      clip_store = place(placement(), clip_store);
      t5_store = place(placement(), t5_store);
      notes_.push_back("text encoders on " + options_.placement.describe());
    } else {
      notes_.push_back("text encoders on the CPU: they need " + format_bytes(need + activations) + " and " +
                       format_bytes(limit > m.in_use ? limit - m.in_use : 0) + " of the VRAM budget is free");
    }
  }
  auto clip = clip::ClipTextModel::load(clip_store);
  auto t5 = t5::T5Encoder::load(t5_store);
  text_ = std::make_unique<TextEncoders>(std::move(clip), std::move(t5), ClipTokenizer::load(), T5Tokenizer::load());
  reapply_text_encoder_loras();
}

TextEncoders& ModelManager::text() {
  if (!text_) load_text_encoders();
  return *text_;
}

void ModelManager::release_text_encoders() { text_.reset(); }

std::string ModelManager::resolve_lora(const std::string& name) const {
  std::error_code ec;
  if (!options_.loras_by_name_only && fs::is_regular_file(name, ec)) return name;
  const auto found = find_model_file(model_folders(options_.models_dir, ModelFolder::Loras), name);
  if (found) return *found;
  if (options_.models_dir.empty()) fail("LoRA \"", name, "\" not found: no such file (and no --models-dir to look in)");
  fail("LoRA \"", name, "\" not found: not a file, and no LoRA of that name (file stem) in ",
       model_folder_list(options_.models_dir, ModelFolder::Loras));
}

const Upscaler& ModelManager::upscaler(const std::string& path) {
  auto& slot = upscalers_[path];
  if (!slot) {
    UpscalerOptions options;
    options.placement = placement();
    slot = Upscaler::load(path, options);
  }
  return *slot;
}

const yolo::YoloDetector& ModelManager::detector(const std::string& path) {
  auto& slot = detectors_[path];
  if (!slot) slot = yolo::YoloDetector::load(path, placement());
  return *slot;
}

std::vector<std::string> ModelManager::apply_loras(const std::vector<ActiveLoraRequest>& loras, LoraMode mode) {
  std::vector<std::string> warnings;
  const lora::TargetResolver resolver(flux().config());
  for (const auto& l : loras) {
    if (lora_files_.count(l.path)) continue;
    auto set = std::make_unique<lora::LoraSet>(lora::read_lora_file(l.path, resolver));
    for (const auto& w : set->warnings) warnings.push_back(w);
    lora_files_[l.path] = std::move(set);
  }
  const bool same = mode == active_mode_ && loras.size() == active_loras_.size() &&
                    std::equal(loras.begin(), loras.end(), active_loras_.begin(), [](const auto& a, const auto& b) {
                      return a.path == b.path && a.weight == b.weight && a.text_encoder_weight == b.text_encoder_weight;
                    });
  if (same) return warnings;
  std::vector<lora::ActiveLora> active;
  for (const auto& l : loras) active.push_back({lora_files_.at(l.path).get(), l.weight});
  flux_patcher_->apply(active, mode);
  active_loras_ = loras;
  active_mode_ = mode;
  if (text_) reapply_text_encoder_loras();
  return warnings;
}

void ModelManager::reapply_text_encoder_loras() {
  // LoRAs' text-encoder parts (kohya lora_te1_ / lora_te2_) are applied online: the encoders run
  // once per prompt, and their stored weights stay untouched, so a LoRA change never reloads them.
  std::vector<lora::ActiveLora> active;
  for (const auto& l : active_loras_) active.push_back({lora_files_.at(l.path).get(), l.text_encoder_weight});
  lora::LoraPatcher(lora::Component::ClipL, text_->clip().linear_layers(), text_->clip().source()).apply(active, LoraMode::Online);
  lora::LoraPatcher(lora::Component::T5, text_->t5().linear_layers(), text_->t5().source()).apply(active, LoraMode::Online);
  text_->clear_cache();
}

}  // namespace fluxgen
