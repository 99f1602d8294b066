// The settings behind GET/POST /sdapi/v1/options that fluxgen applies to the jobs that follow:
// the checkpoint (sd_model_checkpoint), Forge's "Diffusion in Low Bits" (forge_unet_storage_dtype),
// Forge's VAE / text-encoder files (forge_additional_modules) and the live preview settings
// (live_previews_enable, show_progress_every_n_steps, show_progress_type). A request's
// override_settings still win for that request. Thread-safe.
#pragma once
#include "pipeline/placement/device_choice.h"
#include <mutex>
#include <string>
#include <vector>

#include "io/json.h"
#include "pipeline/preview.h"
#include "server/model_catalog.h"

namespace fluxgen::server {

struct OptionValues {
  std::string checkpoint;       // as the client named it; "" = the first FLUX checkpoint found
  std::string checkpoint_path;  // the file it resolved to
  std::string storage = "Automatic";
  std::vector<std::string> additional_modules;  // as named
  std::vector<std::string> module_paths;        // the files they resolved to
  bool live_previews = true;
  int preview_every = 10;  // A1111's show_progress_every_n_steps: -1 = only the last step
  // Forge's show_progress_type label as the client set it ("Approx NN" is answered back as such,
  // though for FLUX it renders as TAESD when a TAEF1 decoder is installed, else "Approx cheap").
  std::string preview_label = "Approx NN";
  PreviewType preview_type = PreviewType::Taesd;
};

class ApiOptions {
 public:
  // `placement`: where the models run (serve --device / --vram-budget), shown as the read-only
  // options fluxgen_device and fluxgen_vram_budget_gib.
  explicit ApiOptions(ModelCatalog& catalog, DevicePlacement placement = {})
      : catalog_(catalog), placement_(std::move(placement)) {}

  OptionValues values() const;
  // Checks every key (422 naming it, 404 for a model file that is not installed) before changing
  // anything, then applies them all. Unknown keys are refused: an option fluxgen would store
  // without acting on it would mislead the client.
  void apply(const json::Value& patch);
  // As apply, but onto the defaults instead of the current values: the settings become exactly
  // what `patch` says (a Redis queue worker takes each job's settings from the front end).
  void replace(const json::Value& patch);
  // The settings a client has changed, as a patch apply/replace accept (what a front end sends
  // along with each job to the workers of a Redis queue).
  json::Value patch() const;
  // GET /options. `checkpoint_title` is the A1111 title of the checkpoint in use.
  json::Value to_json(const std::string& checkpoint_title) const;

 private:
  void apply_onto(OptionValues v, const json::Value& patch);

  ModelCatalog& catalog_;
  const DevicePlacement placement_;
  mutable std::mutex mu_;
  OptionValues values_;
};

}  // namespace fluxgen::server
