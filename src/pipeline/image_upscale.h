// The upscalers A1111/Forge list by name, and how they enlarge an image (modules/upscaler.py):
// "None", "Lanczos", "Nearest", model files (ESRGAN RRDBNet, Real-ESRGAN compact) by file stem in
// the upscaler folders, and for HiRes.fix the "Latent" modes that resize the latent itself.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "imaging/tensor_resize.h"
#include "io/image/image.h"
#include "models/upscaler.h"

namespace fluxgen {

struct UpscalerChoice {
  enum class Kind { None, Lanczos, Nearest, Latent, Model };
  Kind kind = Kind::Lanczos;
  std::string name;  // as the user wrote it, for the infotext
  std::string path;  // Kind::Model
  imaging::TensorResize latent_mode = imaging::TensorResize::Bilinear;  // Kind::Latent
};

// Built-in names, in A1111's order ("Latent" variants first).
std::vector<std::string> builtin_upscaler_names();
// Throws FieldError(field, ...) naming the folders looked in when the name is unknown.
UpscalerChoice resolve_upscaler(const std::string& name, const std::string& models_dir, const char* field);

// An upscaler for an image (the Extras tab, `fluxgen upscale`): resolve_upscaler without the Latent
// modes (HiRes.fix only), and, unless `allow_paths`, only names (a server never opens a path a
// client gives). Throws FieldError(field, ...).
UpscalerChoice resolve_image_upscaler(const std::string& name, const std::string& models_dir, const char* field,
                                      bool allow_paths);

// A1111's Upscaler.upscale: the model applied up to 3 times while the image is smaller than
// int(size·scale)//8·8, then Lanczos to exactly that size. `model` null: Lanczos/Nearest by choice.
Image upscale_image(const UpscalerChoice& choice, const Upscaler* model, const Image& image, double scale,
                    const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace fluxgen
