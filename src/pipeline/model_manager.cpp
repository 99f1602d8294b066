#include "pipeline/model_manager.h"

#include <filesystem>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

void ModelManager::load(const ModelFiles& files, const StorageOption& storage) {
  const std::string flux_key = files.transformer + "|" + (storage.dtype ? std::string(dtype_name(*storage.dtype)) : "auto");
  if (!flux_ || flux_key != flux_key_) {
    flux_.reset();  // free the old weights before loading the new ones
    flux_patcher_.reset();
    active_loras_.clear();
    flux::FluxLoadOptions opt;
    opt.storage = storage.dtype;
    flux_ = flux::FluxModel::load(open_tensor_store(files.transformer), opt);
    flux_key_ = flux_key;
    flux_patcher_ = std::make_unique<lora::LoraPatcher>(lora::Component::Transformer, flux_->linear_layers(),
                                                        flux_->source(), flux_->block_size());
  }
  if (!vae_ || files.vae != files_.vae) {
    vae_.reset();
    vae_ = vae::AutoEncoder::load(open_tensor_store(files.vae));
  }
  const std::string text_key = files.clip + "|" + files.t5;
  if (text_key != text_key_) {
    text_.reset();
    text_key_ = text_key;
  }
  files_ = files;
  storage_ = storage;
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
  auto clip = clip::ClipTextModel::load(open_tensor_store(files_.clip));
  auto t5 = t5::T5Encoder::load(open_tensor_store(files_.t5));
  text_ = std::make_unique<TextEncoders>(std::move(clip), std::move(t5), ClipTokenizer::load(), T5Tokenizer::load());
  reapply_text_encoder_loras();
}

TextEncoders& ModelManager::text() {
  if (!text_) load_text_encoders();
  return *text_;
}

void ModelManager::release_text_encoders() { text_.reset(); }

void ModelManager::release_transformer() {
  flux_patcher_.reset();
  active_loras_.clear();
  flux_.reset();
  flux_key_.clear();
}

std::string ModelManager::resolve_lora(const std::string& name) const {
  std::error_code ec;
  if (!options_.loras_by_name_only && fs::is_regular_file(name, ec)) return name;
  const auto found = find_model_file(model_folders(options_.models_dir, ModelFolder::Loras), name);
  if (found) return *found;
  if (options_.models_dir.empty()) fail("LoRA \"", name, "\" not found: no such file (and no --models-dir to look in)");
  std::vector<std::string> where;
  for (const auto& f : model_folder_names(ModelFolder::Loras)) where.push_back((fs::path(options_.models_dir) / f).string());
  fail("LoRA \"", name, "\" not found: not a file, and no LoRA of that name (file stem) in ", join(where, ", "));
}

std::string ModelManager::resolve_detector(const std::string& name) const {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return name;
  if (const auto found = find_model_file(model_folders(options_.models_dir, ModelFolder::Detectors), name)) return *found;
  std::vector<std::string> where;
  for (const auto& f : model_folder_names(ModelFolder::Detectors)) where.push_back((fs::path(options_.models_dir) / f).string());
  fail("ADetailer model \"", name, "\" not found: not a file, and not in ",
       options_.models_dir.empty() ? std::string("any folder (no --models-dir given)") : join(where, ", "),
       " (Ultralytics checkpoints such as face_yolov8n.pt / face_yolov8s.pt)");
}

const Upscaler& ModelManager::upscaler(const std::string& path) {
  auto& slot = upscalers_[path];
  if (!slot) slot = Upscaler::load(path);
  return *slot;
}

const yolo::YoloDetector& ModelManager::detector(const std::string& path) {
  auto& slot = detectors_[path];
  if (!slot) slot = yolo::YoloDetector::load(path);
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
