#include "server/live_preview.h"

#include <chrono>
#include <cstdio>

#include "io/image/image_io.h"

namespace fluxgen::server {

namespace {

constexpr int64_t kWantedForMs = 30000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void LivePreview::request() { wanted_until_ms_ = now_ms() + kWantedForMs; }

bool LivePreview::wanted() const { return now_ms() < wanted_until_ms_.load(); }

void LivePreview::reset(PreviewType type) {
  type_ = type;
  rendered_step_ = -1;
  std::lock_guard<std::mutex> lock(mu_);
  png_.clear();
}

std::string LivePreview::current_png() const {
  std::lock_guard<std::mutex> lock(mu_);
  return png_;
}

void LivePreview::update(const ProgressSnapshot& s, ModelManager& models) {
  if (s.preview_step < 0 || s.preview_step == rendered_step_ || !s.preview_latent.defined() ||
      s.preview_latent.numel() == 0 || !wanted())
    return;
  rendered_step_ = s.preview_step;
  std::string png;
  try {
    const vae::AutoEncoder* vae = type_ == PreviewType::Full ? &models.vae() : nullptr;
    if (!renderer_ || renderer_type_ != type_ || renderer_vae_ != vae) {
      renderer_ = std::make_unique<PreviewRenderer>(type_, models_dir_, vae, models.placement());
      renderer_type_ = type_;
      renderer_vae_ = vae;
    }
    png = encode_png_base64(renderer_->render(s.preview_latent));
  } catch (const std::exception& e) {
    // A preview is a courtesy: it never fails the job.
    std::fprintf(stderr, "fluxgen serve: preview failed: %s\n", e.what());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  png_ = std::move(png);
}

}  // namespace fluxgen::server
