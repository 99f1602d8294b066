#include "server/model_catalog.h"

#include <filesystem>
#include <regex>

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

// "name.safetensors [0123abcd45]" -> "name.safetensors": A1111 titles carry the short hash.
std::string strip_title_hash(std::string_view name) {
  static const std::regex title(R"(^(.*\S)\s+\[[0-9a-fA-F]{8,64}\]$)");
  std::cmatch m;
  const std::string s(name);
  if (std::regex_match(s.c_str(), m, title)) return m[1].str();
  return s;
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
  const std::string name = strip_title_hash(trim(name_in));
  if (name.empty()) return std::nullopt;
  // A path counts by its file name only: the file must be one of the listed ones.
  const std::string base = fs::path(name).filename().string();
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = lists_.find(kind);
  if (it == lists_.end()) return std::nullopt;
  for (const CatalogEntry& e : it->second)
    if (e.filename == base || e.name == base) return e;
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

std::string ModelCatalog::folder_names(ModelFolder kind) const {
  std::vector<std::string> where;
  for (const std::string& f : model_folder_names(kind)) where.push_back((fs::path(models_dir_) / f).string());
  return join(where, ", ");
}

}  // namespace fluxgen::server
