// `fluxgen compare`: one image generated under each weight-storage option, measured (weight bytes,
// peak memory, load time, s/step, end-to-end time) and compared with the reference (the file's own
// dtypes: "Automatic"): PSNR and SSIM on luminance, and with a LoRA the share of the LoRA's own
// change that the option gets wrong. The report writers (comparison_report.h) turn it into files.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/image/image.h"
#include "nn/storage_option.h"
#include "pipeline/file_hashes.h"
#include "pipeline/generation_settings.h"
#include "pipeline/model_manager.h"
#include "pipeline/progress.h"

namespace fluxgen {

struct StorageMeasurement {
  std::string label;       // Forge's label ("bnb-nf4 (fp16 LoRA)")
  bool reference = false;  // the option the others are compared with
  uint64_t weight_bytes = 0;                 // the transformer's weights as held in memory
  std::optional<uint64_t> peak_host_bytes;   // process VmHWM during this option
  std::optional<uint64_t> peak_device_bytes; // the device allocator's peak in use: absent on the CPU
  double load_seconds = 0;                   // loading (and converting) the transformer
  double seconds_per_step = 0;               // StepTiming's (0 for a 1-step pass), LoRA applied
  double total_seconds = 0;                  // load + the whole generation with the LoRA
  double psnr = 0;                           // vs the reference, dB (+inf for the reference)
  double ssim = 0;
  // lora/lora_effect_error.h over the RGB images in [0, 1] (this option with and without the LoRA
  // against the reference with and without it); only with a LoRA that changes the reference image.
  std::optional<double> lora_effect_error;
  Image image;  // with the LoRA, if any
  std::string infotext;
};

struct StorageComparison {
  GenerationSettings settings;  // as run (seed resolved)
  std::string device = "cpu";   // where the transformer ran (DevicePlacement::describe)
  std::vector<StorageMeasurement> runs;  // finished options, the reference first
  std::vector<std::string> notes;
  bool interrupted = false;
};

// The reference followed by the eight options of Forge's "Diffusion in Low Bits" menu that the
// document's table rates (nf4, fp4, e4m3fn, e5m2, each merged and "(fp16 LoRA)").
std::vector<StorageOption> default_comparison_options();
// "bnb-nf4,float8-e4m3fn (fp16 LoRA)" -> those options, the reference put first and not repeated.
// Throws naming the bad entry.
std::vector<StorageOption> parse_comparison_options(const std::string& list);

// What a comparison can run: one txt2img image per option, its LoRAs in `settings.loras` (not as
// <lora:> tags, so that it can also run without them). Throws FieldError naming the field.
void check_comparison_settings(const GenerationSettings& settings);

// Runs every option in turn (the first must be the reference: Automatic or "Automatic (fp16 LoRA)")
// and calls `on_finished` after each with everything measured so far. Stops early, with
// `interrupted` set, when `progress` is interrupted. `settings.storage` is ignored.
StorageComparison run_storage_comparison(ModelManager& models, HashCache& hashes, ProgressTracker& progress,
                                         const GenerationSettings& settings,
                                         const std::vector<StorageOption>& options,
                                         const std::function<void(const StorageComparison&)>& on_finished);

}  // namespace fluxgen
