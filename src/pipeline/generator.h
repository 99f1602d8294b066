// One generation request from settings to finished images: models, LoRAs, prompts, noise,
// sampling, decoding, then the optional passes (HiRes.fix, ADetailer) and the infotext. Each stage
// is a function over plain values; the generator only sequences them.
#pragma once
#include <string>
#include <vector>

#include "io/image/image.h"
#include "pipeline/file_hashes.h"
#include "pipeline/generation_infotext.h"
#include "pipeline/generation_request.h"
#include "pipeline/model_manager.h"
#include "pipeline/progress.h"
#include "text/prompt.h"

namespace fluxgen {

struct GeneratedImage {
  Image image;
  int64_t seed = 0;
  std::string infotext;
};

struct GenerationResult {
  std::vector<GeneratedImage> images;
  std::vector<std::string> notes;  // warnings and adjustments, for the log / API info
  bool interrupted = false;
  GenerationSettings settings;     // as run (seed resolved)
};

class Generator {
 public:
  Generator(ModelManager& models, HashCache& hashes, ProgressTracker& progress)
      : models_(models), hashes_(hashes), progress_(progress) {}
  GenerationResult run(GenerationRequest request);
  // resolve_request, with files under the model manager's models folder, then run.
  GenerationResult run(GenerationSettings settings);

 private:
  // Loads the request's models (a clear field error when a file is missing or wrong).
  ModelFiles load_models(const GenerationRequest& request, std::vector<std::string>& notes);
  // Makes the request's LoRAs, and its prompt's <lora:...> tags, the active ones.
  std::vector<ActiveLoraRequest> apply_loras(const GenerationRequest& request, const ParsedPrompt& prompt,
                                             std::vector<std::string>& notes);
  // The infotext's file facts: the model's and the LoRAs' short hashes.
  ImageRunFacts run_facts(const ModelFiles& files, const std::vector<ActiveLoraRequest>& loras);

  ModelManager& models_;
  HashCache& hashes_;
  ProgressTracker& progress_;
};

}  // namespace fluxgen
