#include "server/model_catalog.h"

#include <filesystem>

#include "util/strings.h"

namespace fluxgen::server {

namespace fs = std::filesystem;

namespace {

constexpr ModelFolder kAllKinds[] = {ModelFolder::Checkpoints, ModelFolder::Vae,       ModelFolder::TextEncoders,
                                     ModelFolder::Loras,       ModelFolder::Upscalers, ModelFolder::Detectors};

std::vector<CatalogEntry> scan(const std::string& models_dir, ModelFolder kind) {
  std::vector<CatalogEntry> out;
  for (const std::string& path : list_model_files(model_folders(models_dir, kind))) {
    const fs::path p(path);
    out.push_back({p.stem().string(), p.filename().string(), path});
  }
  return out;
}

}  // namespace

ModelCatalog::ModelCatalog(std::string models_dir) : models_dir_(std::move(models_dir)) {
  for (ModelFolder kind : kAllKinds) lists_[kind] = scan(models_dir_, kind);
}

std::vector<CatalogEntry> ModelCatalog::list(ModelFolder kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = lists_.find(kind);
  return it == lists_.end() ? std::vector<CatalogEntry>{} : it->second;
}

void ModelCatalog::refresh(ModelFolder kind) {
  std::vector<CatalogEntry> fresh = scan(models_dir_, kind);
  std::lock_guard<std::mutex> lock(mu_);
  lists_[kind] = std::move(fresh);
}

std::optional<CatalogEntry> ModelCatalog::lookup(ModelFolder kind, std::string_view name_in) const {
  // A path counts by its file name only: the file must be one of the listed ones.
  const std::string base = fs::path(model_name_key(name_in)).filename().string();
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = lists_.find(kind);
  if (it == lists_.end()) return std::nullopt;
  for (const CatalogEntry& e : it->second)
    if (model_file_matches(e.path, base)) return e;
  return std::nullopt;
}

std::optional<CatalogEntry> ModelCatalog::find(ModelFolder kind, std::string_view name) {
  if (auto found = lookup(kind, name)) return found;
  refresh(kind);
  return lookup(kind, name);
}

std::optional<CatalogEntry> ModelCatalog::find_any(const std::vector<ModelFolder>& kinds, std::string_view name) {
  for (ModelFolder kind : kinds)
    if (auto found = lookup(kind, name)) return found;
  for (ModelFolder kind : kinds)
    if (auto found = find(kind, name)) return found;
  return std::nullopt;
}

std::string ModelCatalog::folder_names(ModelFolder kind) const { return model_folder_list(models_dir_, kind); }

}  // namespace fluxgen::server
