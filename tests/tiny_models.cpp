#include "tiny_models.h"

#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include "io/image/image_io.h"
#include "io/safetensors.h"
#include "test_support.h"

namespace fluxgen::test {

namespace fs = std::filesystem;

std::string tiny_models_dir() {
  static const std::string dir = [] {
    const fs::path d = temp_dir();
    const std::vector<std::pair<std::string, std::string>> links = {
        {"flux_e2e.safetensors", "Stable-diffusion/tiny-flux.safetensors"},
        {"ae.safetensors", "VAE/ae.safetensors"},
        {"clip_l.safetensors", "text_encoder/clip_l.safetensors"},
        {"t5xxl.safetensors", "text_encoder/t5xxl_fp16.safetensors"},
        {"esrgan_old.pth", "ESRGAN/4x-UltraSharp.pth"},
        {"yolo/yolov8n_tiny.pt", "adetailer/face_yolov8n.pt"},
    };
    for (const auto& [src, dst] : links) {
      fs::create_directories((d / dst).parent_path());
      fs::create_symlink(fs::absolute(fixture(src)), d / dst);
    }
    return d.string();
  }();
  return dir;
}

std::string tiny_lora(const std::string& dir) {
  std::mt19937 rng(4);
  std::normal_distribution<float> d(0.0f, 0.5f);
  auto randn = [&](Shape s) {
    Tensor t = Tensor::empty(s);
    for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = d(rng);
    return t;
  };
  const std::string path = dir + "/me.safetensors";
  write_safetensors(path, {{"lora_unet_double_blocks_0_img_attn_qkv.lora_down.weight", randn({4, 64})},
                           {"lora_unet_double_blocks_0_img_attn_qkv.lora_up.weight", randn({192, 4})},
                           {"lora_unet_double_blocks_0_img_attn_qkv.alpha", Tensor::full({}, 4.0f)},
                           {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", randn({4, 32})},
                           {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", randn({32, 4})}});
  return path;
}

std::string tiny_models_dir_with_lora() {
  static const std::string dir = [] {
    const fs::path d = temp_dir();
    for (const auto& e : fs::directory_iterator(tiny_models_dir()))
      fs::create_directory_symlink(e.path(), d / e.path().filename());
    fs::create_directories(d / "Lora");
    tiny_lora((d / "Lora").string());
    return d.string();
  }();
  return dir;
}

std::string photo_png() {
  static const std::string path = [] {
    const auto io = SafetensorsFile::open(fixture("yolo/yolo_io.safetensors"));
    const Tensor t = io->get("in.image_rgb");
    Image img(static_cast<int>(t.dim(1)), static_cast<int>(t.dim(0)), 3);
    std::copy(t.data<uint8_t>(), t.data<uint8_t>() + t.nbytes(), img.pixels.begin());
    const std::string p = temp_dir() + "/photo.png";
    write_png(p, img);
    return p;
  }();
  return path;
}

TinyRun::TinyRun(DevicePlacement placement, const std::string& models_dir, bool keep_text_encoders)
    : models({models_dir, keep_text_encoders, false, std::move(placement)}),
      hashes(temp_dir() + "/hashes.json"),
      gen(models, hashes, progress) {}

GenerationResult TinyRun::operator()(const std::string& patch) {
  GenerationSettings s = resolve_settings(json::parse(patch));
  s.images_are_paths = true;
  return gen.run(s);
}

}  // namespace fluxgen::test
