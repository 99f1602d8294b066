// Finds the files a FLUX generation needs where Forge and ComfyUI users keep them. --model may be
// a transformer file, an all-in-one checkpoint (transformer + VAE + text encoders under their
// prefixes), a diffusers folder, or a name looked up in the checkpoint folders; --vae, --clip and
// --t5 override. A missing component is an error saying which file is needed and where fluxgen
// looked. Files are classified by their headers, never by loading them.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

// The folder kinds of a models directory, each with Forge's and ComfyUI's names.
enum class ModelFolder { Checkpoints, Vae, TextEncoders, Loras, Upscalers, Detectors, VaeApprox };

// Folders of `kind` under models_dir that exist (Forge's names first, then ComfyUI's).
std::vector<std::string> model_folders(const std::string& models_dir, ModelFolder kind);
// Every folder name of `kind`, existing or not, for messages.
std::vector<std::string> model_folder_names(ModelFolder kind);

// Weight files (.safetensors, .sft, .pt, .pth, .ckpt, .bin, .gguf) directly in the folders.
std::vector<std::string> list_model_files(const std::vector<std::string>& folders);
// The one rule from a name a user gives to a model file, for the CLI and the server alike: the name
// trimmed and any A1111 title hash dropped ("flux1-dev.safetensors [0123abcd45]"), then equal to
// the file's stem or file name.
std::string model_name_key(std::string_view name);
bool model_file_matches(const std::string& path, std::string_view name);
// A file in the folders that `name` matches; nullopt when none.
std::optional<std::string> find_model_file(const std::vector<std::string>& folders, const std::string& name);
// models_dir's folders of `kind` ("M/adetailer, M/ultralytics, ..."), for messages.
std::string model_folder_list(const std::string& models_dir, ModelFolder kind);
// An ADetailer detector: a file path, or a name in the detector folders. Throws naming both.
std::string resolve_detector_file(const std::string& name, const std::string& models_dir);

struct ModelRequest {
  std::string model;       // file, folder or name
  std::string vae, clip, t5;
  std::string models_dir;
};

struct ModelFiles {
  std::string transformer;  // a file or a folder (diffusers shards)
  std::string vae;
  std::string clip;
  std::string t5;
  std::string model_name;   // the checkpoint's stem, for infotexts and the API
};

ModelFiles discover_models(const ModelRequest& request);

}  // namespace fluxgen
