// Live previews of the image being sampled, from the sampler's denoised estimate: Forge's
// show_progress_type choices — "Approx cheap" (a 16×3 linear map of the latent, free), "TAESD"
// (the TAEF1 decoder: taef1_decoder.* in VAE-approx / vae_approx / VAE folders) and "Full" (the
// real autoencoder). "Approx NN" is Forge's small SD-only network; for FLUX it means TAEF1 when
// present, else the cheap map.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "io/image/image.h"
#include "models/taesd/taesd.h"
#include "models/vae/autoencoder.h"

namespace fluxgen {

enum class PreviewType { Cheap, Taesd, Full };

// Forge's names ("Approx cheap", "Approx NN", "TAESD", "Full") and fluxgen's (cheap, taesd, full).
PreviewType parse_preview_type(const std::string& name);
std::string preview_type_name(PreviewType type);

// A TAEF1 decoder file in the models folder, if any.
std::optional<std::string> find_taef1_decoder(const std::string& models_dir);

class PreviewRenderer {
 public:
  // `vae` is used for PreviewType::Full (may be null otherwise). TAESD without a decoder file
  // falls back to the cheap map. `placement`: where TAEF1 runs (ModelManager::placement).
  PreviewRenderer(PreviewType type, const std::string& models_dir, const vae::AutoEncoder* vae,
                  const StorePlacement& placement = {});
  // The denoised latent [1, 16, h, w] (or the first image of a batch) as an RGB image. TAEF1 out
  // of device memory gives that step the cheap map instead: a preview never fails a job.
  Image render(const Tensor& latent) const;
  PreviewType effective_type() const { return type_; }

 private:
  PreviewType type_;
  std::unique_ptr<TaesdDecoder> taesd_;
  const vae::AutoEncoder* vae_;
};

}  // namespace fluxgen
