#include "pipeline/preview.h"

#include <filesystem>

#include "backend/ops.h"
#include "pipeline/latent_preview.h"
#include "pipeline/model_discovery.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

PreviewType parse_preview_type(const std::string& name) {
  const std::string n = to_lower(trim(name));
  if (n == "approx cheap" || n == "cheap") return PreviewType::Cheap;
  if (n == "taesd" || n == "approx nn" || n == "taef1") return PreviewType::Taesd;
  if (n == "full") return PreviewType::Full;
  fail("unknown preview type \"", name, "\"; use \"Approx cheap\", \"Approx NN\", \"TAESD\" or \"Full\"");
}

std::string preview_type_name(PreviewType type) {
  switch (type) {
    case PreviewType::Cheap: return "Approx cheap";
    case PreviewType::Taesd: return "TAESD";
    case PreviewType::Full: return "Full";
  }
  return "?";
}

std::optional<std::string> find_taef1_decoder(const std::string& models_dir) {
  for (const auto& f : list_model_files(model_folders(models_dir, ModelFolder::VaeApprox))) {
    const std::string name = to_lower(std::filesystem::path(f).filename().string());
    if (name.find("taef1_decoder") != std::string::npos || name.find("taef1-decoder") != std::string::npos) return f;
  }
  return std::nullopt;
}

PreviewRenderer::PreviewRenderer(PreviewType type, const std::string& models_dir, const vae::AutoEncoder* vae,
                                 const StorePlacement& placement)
    : type_(type), vae_(vae) {
  if (type_ == PreviewType::Taesd) {
    if (const auto path = find_taef1_decoder(models_dir))
      taesd_ = std::make_unique<TaesdDecoder>(load_taesd_decoder(*path, placement));
    else
      type_ = PreviewType::Cheap;
  }
  if (type_ == PreviewType::Full && !vae_) type_ = PreviewType::Cheap;
}

Image PreviewRenderer::render(const Tensor& latent) const {
  const Tensor first = latent.dim(0) > 1 ? ops::slice(latent, 0, 0, 1) : latent;
  switch (type_) {
    case PreviewType::Cheap: return latent_to_rgb_preview(first);
    case PreviewType::Taesd:
      try {
        return tensor_to_image(ops::to_host(ops::clamp(taesd_->forward(first), 0.0f, 1.0f)), PixelRange::ZeroOne);
      } catch (const DeviceOutOfMemory&) {
        return latent_to_rgb_preview(first);
      }
    case PreviewType::Full: return tensor_to_image(ops::to_host(vae_->decode_tiled(first)), PixelRange::MinusOneOne);
  }
  fail("internal: unknown preview type");
}

}  // namespace fluxgen
