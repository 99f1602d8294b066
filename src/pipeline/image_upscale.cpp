#include "pipeline/image_upscale.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "imaging/resize.h"
#include "pipeline/generation_settings.h"
#include "pipeline/model_discovery.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
struct LatentMode {
  const char* name;
  imaging::TensorResize mode;
};
// shared.latent_upscale_modes
constexpr LatentMode kLatentModes[] = {
    {"Latent", imaging::TensorResize::Bilinear},
    {"Latent (antialiased)", imaging::TensorResize::BilinearAntialias},
    {"Latent (bicubic)", imaging::TensorResize::Bicubic},
    {"Latent (bicubic antialiased)", imaging::TensorResize::BicubicAntialias},
    {"Latent (nearest)", imaging::TensorResize::Nearest},
    {"Latent (nearest-exact)", imaging::TensorResize::NearestExact},
};
// A1111's torch_bgr_to_pil_image rounds (clamp, ×255, round), unlike the VAE path's truncation.
Image rounded_image(const Tensor& t) {
  const int64_t H = t.dim(2), W = t.dim(3);
  Image img(static_cast<int>(W), static_cast<int>(H), 3);
  const float* p = t.f32();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < H * W; ++i) {
      const float v = std::min(1.0f, std::max(0.0f, p[c * H * W + i]));
      img.pixels[static_cast<size_t>(i * 3 + c)] = static_cast<uint8_t>(std::nearbyint(255.0f * v));
    }
  return img;
}
}  // namespace

std::vector<std::string> builtin_upscaler_names() {
  std::vector<std::string> out;
  for (const auto& m : kLatentModes) out.push_back(m.name);
  for (const char* n : {"None", "Lanczos", "Nearest"}) out.push_back(n);
  return out;
}

UpscalerChoice resolve_upscaler(const std::string& name, const std::string& models_dir, const char* field) {
  UpscalerChoice c;
  c.name = name;
  for (const auto& m : kLatentModes)
    if (name == m.name) {
      c.kind = UpscalerChoice::Kind::Latent;
      c.latent_mode = m.mode;
      return c;
    }
  if (name == "None") return UpscalerChoice{UpscalerChoice::Kind::None, name, "", {}};
  if (name == "Lanczos") return UpscalerChoice{UpscalerChoice::Kind::Lanczos, name, "", {}};
  if (name == "Nearest") return UpscalerChoice{UpscalerChoice::Kind::Nearest, name, "", {}};
  std::error_code ec;
  c.kind = UpscalerChoice::Kind::Model;
  if (std::filesystem::is_regular_file(name, ec)) {
    c.path = name;
    c.name = std::filesystem::path(name).stem().string();
    return c;
  }
  const auto folders = model_folders(models_dir, ModelFolder::Upscalers);
  if (const auto found = find_model_file(folders, name)) {
    c.path = *found;
    return c;
  }
  const std::string where = models_dir.empty() ? "no --models-dir was given"
                                               : "looked in " + model_folder_list(models_dir, ModelFolder::Upscalers);
  throw FieldError(field, "unknown upscaler \"" + name + "\": not one of " + join(builtin_upscaler_names(), ", ") +
                              ", and no upscaler file of that name (" + where + ")");
}

UpscalerChoice resolve_image_upscaler(const std::string& name, const std::string& models_dir, const char* field,
                                      bool allow_paths) {
  if (!allow_paths && (name.find('/') != std::string::npos || name.find('\\') != std::string::npos))
    throw FieldError(field, "upscaler \"" + name + "\" is a path; name a built-in upscaler or a file of the upscaler folders");
  UpscalerChoice c = resolve_upscaler(name, models_dir, field);
  if (c.kind == UpscalerChoice::Kind::Latent)
    throw FieldError(field, "\"" + name + "\": the Latent modes resize latents and exist only for HiRes.fix (hr_upscaler)");
  return c;
}

Image upscale_image(const UpscalerChoice& choice, const Upscaler* model, const Image& image, double scale,
                    const std::function<void(int64_t, int64_t)>& progress) {
  const int dest_w = static_cast<int>(static_cast<int64_t>(image.width * scale) / 8 * 8);
  const int dest_h = static_cast<int>(static_cast<int64_t>(image.height * scale) / 8 * 8);
  check(dest_w > 0 && dest_h > 0, "upscale: a ", image.width, "x", image.height, " image scaled by ", scale,
        " is empty");
  Image img = to_rgb(image);
  if (choice.kind == UpscalerChoice::Kind::None) return img;
  if (choice.kind == UpscalerChoice::Kind::Model) {
    check(model != nullptr, "internal: upscaler model not loaded");
    for (int i = 0; i < 3; ++i) {
      if (img.width >= dest_w && img.height >= dest_h) break;
      const int w = img.width, h = img.height;
      img = rounded_image(model->upscale_tiled(image_to_tensor(img, PixelRange::ZeroOne), TileSettings{}, progress));
      if (img.width == w && img.height == h) break;
    }
  } else {
    // UpscalerLanczos / UpscalerNearest: one resize by the scale factor.
    const imaging::Filter f = choice.kind == UpscalerChoice::Kind::Nearest ? imaging::Filter::Nearest : imaging::Filter::Lanczos;
    img = imaging::resize(img, static_cast<int>(img.width * scale), static_cast<int>(img.height * scale), f);
  }
  if (img.width != dest_w || img.height != dest_h) img = imaging::resize(img, dest_w, dest_h, imaging::Filter::Lanczos);
  return img;
}

}  // namespace fluxgen
