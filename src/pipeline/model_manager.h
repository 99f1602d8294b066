// Keeps the models of the last job loaded and swaps only what the next job asks to change: another
// transformer file or storage dtype reloads the transformer, other text encoders or VAE reload
// those, other LoRAs or multipliers re-apply LoRAs (online: instantly; merged: re-merged from the
// mapped originals) — the base model is never reloaded for a LoRA change.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "models/flux/flux_model.h"
#include "models/upscaler.h"
#include "models/yolo/yolo_detector.h"
#include "models/vae/autoencoder.h"
#include "nn/storage_option.h"
#include "pipeline/placement/device_choice.h"
#include "pipeline/placement/vram_plan.h"
#include "pipeline/model_discovery.h"
#include "pipeline/text_conditioning.h"

namespace fluxgen {

struct ActiveLoraRequest {
  std::string path;  // resolved file
  float weight = 1.0f;               // transformer multiplier
  float text_encoder_weight = 1.0f;  // CLIP/T5 multiplier
};

class ModelManager {
 public:
  struct Options {
    std::string models_dir;
    // Keep CLIP and T5 between jobs (the server); the CLI frees them after encoding.
    bool keep_text_encoders = true;
    // LoRAs only by name from the LoRA folders, never as a path (the server: a client must not
    // make it open files of its choosing).
    bool loras_by_name_only = false;
    // Where FLUX, the text encoders and the autoencoder run, and the VRAM budget they share
    // (pipeline/placement/device_choice.h). The CPU by default.
    DevicePlacement placement;
  };
  explicit ModelManager(Options options) : options_(std::move(options)) {}

  // Loads what `files` and `storage` name, reusing what is already loaded. On a device the
  // transformer is planned for `workload` (vram_plan.h): blocks that do not fit the budget stream.
  // A later job with a larger workload plans (and loads) again.
  void load(const ModelFiles& files, const StorageOption& storage, const FluxWorkload& workload = {});
  // Makes exactly these LoRAs active. Returns warnings about the files.
  std::vector<std::string> apply_loras(const std::vector<ActiveLoraRequest>& loras, LoraMode mode);

  flux::FluxModel& flux();
  vae::AutoEncoder& vae();
  // Loads the text encoders again if they were released.
  TextEncoders& text();
  void release_text_encoders();

  Device device() const { return options_.placement.device; }
  // Puts a model's weights where the models run (small models: upscalers, detectors, TAEF1).
  StorePlacement placement() const;
  // Device bytes the models in `paths` (upscalers, detectors) would add once loaded: 0 for those
  // already loaded and on the CPU. Counted as F32, as these models hold their weights.
  uint64_t auxiliary_device_bytes(const std::vector<std::string>& paths) const;
  // An activation (latent, noise, conditioning) where the models run.
  Tensor to_model_device(const Tensor& t) const;
  // The transformer's placement on the device (empty on the CPU).
  const FluxPlacementPlan& flux_plan() const { return plan_; }
  // Where the text encoders run, and why (a log line once per load).
  std::vector<std::string> take_notes() { return std::exchange(notes_, {}); }
  bool keep_text_encoders() const { return options_.keep_text_encoders; }

  // Frees every loaded model: transformer, autoencoder, text encoders, upscalers, detectors, LoRA
  // files and patches. The next load() loads what it needs; files() stays for reload().
  void unload();
  // Frees only the transformer (its LoRA patches and placement too); the autoencoder, text encoders
  // and LoRA files stay, and the next load() loads it again. For measuring one storage option's
  // peak memory without the previous one's weights still resident.
  void release_transformer();
  // Loads the last load()'s files again (transformer, autoencoder, and the text encoders when they
  // are kept); false when nothing was ever loaded.
  bool reload();

  const ModelFiles& files() const { return files_; }
  const StorageOption& storage() const { return storage_; }
  const Options& options() const { return options_; }
  // Resolves a LoRA name or path: a file (unless loras_by_name_only), or a file stem in the LoRA
  // folders.
  std::string resolve_lora(const std::string& name_or_path) const;
  // Loaded once and kept (small models).
  const Upscaler& upscaler(const std::string& path);
  const yolo::YoloDetector& detector(const std::string& path);

 private:
  void load_text_encoders();
  void load_flux(const ModelFiles& files, const StorageOption& storage, const FluxWorkload& workload);
  void reapply_text_encoder_loras();

  Options options_;
  ModelFiles files_;
  StorageOption storage_;
  std::unique_ptr<flux::FluxModel> flux_;
  std::string flux_key_;
  FluxPlacementPlan plan_;
  std::vector<std::string> notes_;
  std::unique_ptr<vae::AutoEncoder> vae_;
  std::unique_ptr<TextEncoders> text_;
  std::string text_key_;

  std::map<std::string, std::shared_ptr<const Upscaler>> upscalers_;        // by path
  std::map<std::string, std::unique_ptr<yolo::YoloDetector>> detectors_;  // by path
  std::map<std::string, std::unique_ptr<lora::LoraSet>> lora_files_;     // by path
  std::unique_ptr<lora::LoraPatcher> flux_patcher_;
  std::vector<ActiveLoraRequest> active_loras_;
  LoraMode active_mode_ = LoraMode::Merged;
};

}  // namespace fluxgen
