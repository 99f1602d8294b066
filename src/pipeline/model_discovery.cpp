#include "pipeline/model_discovery.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "io/tensor_store.h"
#include "models/checkpoint_inspector.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

std::vector<std::string> model_folder_names(ModelFolder kind) {
  switch (kind) {
    case ModelFolder::Checkpoints: return {"Stable-diffusion", "diffusion_models", "unet", "checkpoints"};
    case ModelFolder::Vae: return {"VAE", "vae"};
    case ModelFolder::TextEncoders: return {"text_encoder", "text_encoders", "clip"};
    case ModelFolder::Loras: return {"Lora", "loras", "LyCORIS"};
    case ModelFolder::Upscalers: return {"ESRGAN", "RealESRGAN", "upscale_models"};
    case ModelFolder::Detectors: return {"adetailer", "ultralytics/bbox", "ultralytics/segm", "ultralytics"};
    case ModelFolder::VaeApprox: return {"VAE-approx", "vae_approx", "VAE", "vae"};
  }
  return {};
}

std::vector<std::string> model_folders(const std::string& models_dir, ModelFolder kind) {
  std::vector<std::string> out;
  if (models_dir.empty()) return out;
  std::error_code ec;
  for (const auto& name : model_folder_names(kind)) {
    const fs::path p = fs::path(models_dir) / name;
    if (fs::is_directory(p, ec)) {
      const std::string s = fs::canonical(p, ec).string();
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

namespace {
bool is_weight_file(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  for (const char* e : {".safetensors", ".sft", ".pt", ".pth", ".ckpt", ".bin", ".gguf"})
    if (ext == e) return true;
  return false;
}

std::string looked_in(const std::vector<std::string>& folders, const std::string& models_dir, ModelFolder kind) {
  if (models_dir.empty()) return "no --models-dir was given";
  std::vector<std::string> all;
  for (const auto& n : model_folder_names(kind)) all.push_back((fs::path(models_dir) / n).string());
  return "looked in " + join(all, ", ") + (folders.empty() ? " (none of them exists)" : "");
}

bool holds(const FileReport& r, ModelKind kind) {
  return std::any_of(r.components.begin(), r.components.end(), [&](const Component& c) { return c.kind == kind; });
}

// Reports keyed by path, so each header is read once per discovery.
const FileReport& report_of(const std::string& path, std::map<std::string, FileReport>& cache) {
  auto it = cache.find(path);
  if (it == cache.end()) it = cache.emplace(path, inspect_store(*open_tensor_store(path))).first;
  return it->second;
}

// The best file in the folders holding a `kind` component: a name matching one of `preferred`
// (lower-case substrings, in order) wins; files that cannot be read are skipped.
std::optional<std::string> find_component(const std::vector<std::string>& folders, ModelKind kind,
                                          const std::vector<std::string>& preferred,
                                          std::map<std::string, FileReport>& cache) {
  std::vector<std::string> candidates;
  for (const auto& f : list_model_files(folders)) {
    try {
      if (holds(report_of(f, cache), kind)) candidates.push_back(f);
    } catch (const Error&) {
      // Unreadable files are not candidates; naming them is the job of whoever loads them.
    }
  }
  for (const auto& pref : preferred)
    for (const auto& c : candidates)
      if (to_lower(fs::path(c).filename().string()).find(pref) != std::string::npos) return c;
  if (!candidates.empty()) return candidates.front();
  return std::nullopt;
}
}  // namespace

std::vector<std::string> list_model_files(const std::vector<std::string>& folders) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& folder : folders) {
    std::vector<std::string> here;
    for (const auto& e : fs::directory_iterator(folder, ec))
      if ((e.is_regular_file(ec) || e.is_symlink(ec)) && is_weight_file(e.path())) here.push_back(e.path().string());
    std::sort(here.begin(), here.end());
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

std::string model_name_key(std::string_view name) {
  // "name.safetensors [0123abcd45]" -> "name.safetensors": A1111 titles carry the short hash.
  static const std::regex title(R"(^(.*\S)\s+\[[0-9a-fA-F]{8,64}\]$)");
  const std::string s = trim(name);
  std::smatch m;
  if (std::regex_match(s, m, title)) return m[1].str();
  return s;
}

bool model_file_matches(const std::string& path, std::string_view name) {
  const std::string key = model_name_key(name);
  if (key.empty()) return false;
  const fs::path p(path);
  return p.stem().string() == key || p.filename().string() == key;
}

std::optional<std::string> find_model_file(const std::vector<std::string>& folders, const std::string& name) {
  for (const auto& f : list_model_files(folders))
    if (model_file_matches(f, name)) return f;
  return std::nullopt;
}

std::string model_folder_list(const std::string& models_dir, ModelFolder kind) {
  std::vector<std::string> where;
  for (const std::string& f : model_folder_names(kind)) where.push_back((fs::path(models_dir) / f).string());
  return join(where, ", ");
}

std::string resolve_detector_file(const std::string& name, const std::string& models_dir) {
  std::error_code ec;
  if (fs::is_regular_file(name, ec)) return name;
  if (const auto found = find_model_file(model_folders(models_dir, ModelFolder::Detectors), name)) return *found;
  fail("ADetailer model \"", name, "\" not found: not a file, and not in ",
       models_dir.empty() ? std::string("any folder (no --models-dir given)") : model_folder_list(models_dir, ModelFolder::Detectors),
       " (Ultralytics checkpoints such as face_yolov8n.pt / face_yolov8s.pt)");
}

ModelFiles discover_models(const ModelRequest& req) {
  ModelFiles out;
  std::map<std::string, FileReport> cache;
  std::error_code ec;
  const auto checkpoint_dirs = model_folders(req.models_dir, ModelFolder::Checkpoints);
  // 1. The transformer.
  std::string model = req.model;
  if (model.empty()) {
    const auto found = find_component(checkpoint_dirs, ModelKind::FluxTransformer, {"flux1-dev", "flux"}, cache);
    if (!found)
      fail("no FLUX transformer found: pass --model FILE (flux1-dev.safetensors, flux1-dev-bnb-nf4-v2.safetensors, "
           "flux1-dev-fp8.safetensors ...) or put one into a checkpoint folder; ",
           looked_in(checkpoint_dirs, req.models_dir, ModelFolder::Checkpoints));
    model = *found;
  } else if (!fs::exists(model, ec)) {
    const auto found = find_model_file(checkpoint_dirs, model);
    if (!found)
      fail("model \"", model, "\" not found: it is not a file or folder, and no checkpoint of that name is in ",
           looked_in(checkpoint_dirs, req.models_dir, ModelFolder::Checkpoints));
    model = *found;
  }
  const bool diffusers_folder = fs::is_directory(model, ec);
  if (diffusers_folder) {
    out.transformer = fs::exists(fs::path(model) / "transformer", ec) ? (fs::path(model) / "transformer").string() : model;
  } else {
    out.transformer = model;
  }
  out.model_name = fs::path(model).filename().string();
  if (!diffusers_folder) out.model_name = fs::path(model).stem().string();
  const FileReport& main = report_of(out.transformer, cache);
  if (!holds(main, ModelKind::FluxTransformer))
    fail(out.transformer, ": not a FLUX transformer (", main.components.empty() ? "unrecognised contents" :
         model_kind_name(main.components.front().kind), ")");

  // 2. The others: explicit file, else inside the checkpoint, else the diffusers folder, else the folders.
  struct Need {
    std::string* slot;
    const std::string& explicit_path;
    ModelKind kind;
    const char* subfolder;
    ModelFolder folder;
    std::vector<std::string> preferred;
    const char* what;
    const char* typical;
    const char* flag;
  };
  const std::vector<Need> needs = {
      {&out.vae, req.vae, ModelKind::FluxAutoencoder, "vae", ModelFolder::Vae, {"ae.", "flux"}, "FLUX autoencoder",
       "ae.safetensors", "--vae"},
      {&out.clip, req.clip, ModelKind::ClipText, "text_encoder", ModelFolder::TextEncoders, {"clip_l", "clip"},
       "CLIP-L text encoder", "clip_l.safetensors", "--clip"},
      {&out.t5, req.t5, ModelKind::T5Encoder, "text_encoder_2", ModelFolder::TextEncoders,
       {"t5xxl_fp16", "t5xxl", "t5"}, "T5-XXL text encoder", "t5xxl_fp16.safetensors or t5xxl_fp8_e4m3fn.safetensors",
       "--t5"},
  };
  for (const Need& n : needs) {
    if (!n.explicit_path.empty()) {
      if (!fs::exists(n.explicit_path, ec)) {
        const auto found = find_model_file(model_folders(req.models_dir, n.folder), n.explicit_path);
        if (!found) fail(n.flag, " ", n.explicit_path, ": no such file");
        *n.slot = *found;
      } else {
        *n.slot = n.explicit_path;
      }
      const FileReport& r = report_of(*n.slot, cache);
      if (!holds(r, n.kind)) fail(*n.slot, ": not a ", n.what, " (", n.flag, " expects ", n.typical, ")");
      continue;
    }
    if (holds(main, n.kind)) {
      *n.slot = out.transformer;
      continue;
    }
    if (diffusers_folder && fs::is_directory(fs::path(model) / n.subfolder, ec)) {
      *n.slot = (fs::path(model) / n.subfolder).string();
      continue;
    }
    const auto dirs = model_folders(req.models_dir, n.folder);
    const auto found = find_component(dirs, n.kind, n.preferred, cache);
    if (!found)
      fail("no ", n.what, " found: FLUX needs ", n.typical, "; pass ", n.flag, " FILE or put it into a ",
           join(model_folder_names(n.folder), "/"), " folder of --models-dir; ", looked_in(dirs, req.models_dir, n.folder));
    *n.slot = *found;
  }
  return out;
}

}  // namespace fluxgen
