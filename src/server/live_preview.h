// current_image for /sdapi/v1/progress: the running job's latest denoised estimate rendered by the
// pipeline's PreviewRenderer as Forge's show_progress_type says ("Approx cheap", "TAESD" with a
// TAEF1 decoder, "Full" with the job's own VAE).
//
// Rendering happens on the worker thread, between sampling steps, because that is the only thread
// allowed to touch the loaded models (and the GPU). It happens only while a client is polling
// /progress for images, so an unwatched job pays nothing.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "pipeline/model_manager.h"
#include "pipeline/preview.h"
#include "pipeline/progress.h"

namespace fluxgen::server {

class LivePreview {
 public:
  explicit LivePreview(std::string models_dir) : models_dir_(std::move(models_dir)) {}

  // A client asked for current_image: previews are rendered for the next 30 seconds.
  void request();
  // Worker thread, at a job's start: forget the last job's preview; render this job's as `type`.
  void reset(PreviewType type);
  // Worker thread: renders the snapshot's preview latent when it is new and wanted.
  void update(const ProgressSnapshot& snapshot, ModelManager& models);
  // The latest preview as base64 PNG without a prefix, "" when there is none.
  std::string current_png() const;

 private:
  bool wanted() const;

  const std::string models_dir_;
  std::atomic<int64_t> wanted_until_ms_{0};
  // Worker only. The renderer is made at the first preview of a job (a "Full" one needs the VAE
  // that job loaded) and kept while the type and the VAE stay the same.
  PreviewType type_ = PreviewType::Cheap;
  int64_t rendered_step_ = -1;
  std::unique_ptr<PreviewRenderer> renderer_;
  PreviewType renderer_type_ = PreviewType::Cheap;
  const void* renderer_vae_ = nullptr;
  mutable std::mutex mu_;
  std::string png_;
};

}  // namespace fluxgen::server
