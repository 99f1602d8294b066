// The model files a client can name, by folder kind, as A1111 lists them: scanned at start and
// again on refresh-checkpoints / refresh-loras (and once more when a name is not found, as A1111's
// txt2img does before answering 404). Names are file stems or file names, an A1111 title
// ("flux1-dev.safetensors [1a2b3c4d5e]") or a path whose file name is listed (Forge clients send
// paths in forge_additional_modules); the answer is always a file inside the models folders, so a
// client can never make the server open a file of its choosing.
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/model_discovery.h"

namespace fluxgen::server {

struct CatalogEntry {
  std::string name;      // the file stem: "flux1-dev"
  std::string filename;  // "flux1-dev.safetensors"
  std::string path;      // where it is
};

class ModelCatalog {
 public:
  explicit ModelCatalog(std::string models_dir);

  const std::string& models_dir() const { return models_dir_; }
  std::vector<CatalogEntry> list(ModelFolder kind) const;
  // Scans the folders of `kind` again.
  void refresh(ModelFolder kind);
  // The file `name` refers to among the folders of `kind`, rescanning once when it is not listed.
  std::optional<CatalogEntry> find(ModelFolder kind, std::string_view name);
  // Any of several kinds (forge_additional_modules: VAE or text encoder files).
  std::optional<CatalogEntry> find_any(const std::vector<ModelFolder>& kinds, std::string_view name);
  // Every folder name of `kind`, for messages ("Stable-diffusion, diffusion_models, ...").
  std::string folder_names(ModelFolder kind) const;

 private:
  std::optional<CatalogEntry> lookup(ModelFolder kind, std::string_view name) const;

  std::string models_dir_;
  mutable std::mutex mu_;
  std::map<ModelFolder, std::vector<CatalogEntry>> lists_;
};

}  // namespace fluxgen::server
