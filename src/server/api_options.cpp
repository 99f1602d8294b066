#include "server/api_options.h"

#include "nn/storage_option.h"
#include "server/api_error.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

OptionValues ApiOptions::values() const {
  std::lock_guard<std::mutex> lock(mu_);
  return values_;
}

void ApiOptions::apply(const json::Value& patch) { apply_onto(values(), patch); }

void ApiOptions::replace(const json::Value& patch) { apply_onto(OptionValues{}, patch); }

json::Value ApiOptions::patch() const {
  const OptionValues v = values();
  json::Value o = json::Value::object();
  if (!v.checkpoint.empty()) o["sd_model_checkpoint"] = v.checkpoint;
  o["forge_unet_storage_dtype"] = v.storage;
  json::Value modules = json::Value::array();
  for (const std::string& m : v.additional_modules) modules.push_back(m);
  o["forge_additional_modules"] = modules;
  o["live_previews_enable"] = v.live_previews;
  o["show_progress_every_n_steps"] = v.preview_every;
  o["show_progress_type"] = v.preview_label;
  return o;
}

void ApiOptions::apply_onto(OptionValues v, const json::Value& patch) {
  if (!patch.is_object()) throw validation_error("body", "must be a JSON object of option names and values");
  for (const auto& [key, value] : patch.as_object()) {
    if (key == "sd_model_checkpoint") {
      if (!value.is_string() || trim(value.as_string()).empty())
        throw validation_error(key, "must be a checkpoint name (GET /sdapi/v1/sd-models lists them)");
      const auto found = catalog_.find(ModelFolder::Checkpoints, value.as_string());
      if (!found)
        throw not_found(key, "model \"" + value.as_string() + "\" not found in " +
                                 catalog_.folder_names(ModelFolder::Checkpoints));
      v.checkpoint = value.as_string();
      v.checkpoint_path = found->path;
    } else if (key == "forge_unet_storage_dtype") {
      if (!value.is_string()) throw validation_error(key, "must be a string such as \"Automatic\" or \"bnb-nf4\"");
      try {
        v.storage = parse_storage_option(value.as_string()).label;
      } catch (const Error& e) {
        throw validation_error(key, e.what());
      }
    } else if (key == "forge_additional_modules") {
      if (!value.is_array()) throw validation_error(key, "must be a list of VAE / text encoder file names");
      v.additional_modules.clear();
      v.module_paths.clear();
      for (const json::Value& m : value.as_array()) {
        if (!m.is_string()) throw validation_error(key, "must be a list of VAE / text encoder file names");
        const auto found = catalog_.find_any({ModelFolder::Vae, ModelFolder::TextEncoders}, m.as_string());
        if (!found)
          throw not_found(key, "module \"" + m.as_string() + "\" not found in " + catalog_.folder_names(ModelFolder::Vae) +
                                   ", " + catalog_.folder_names(ModelFolder::TextEncoders));
        v.additional_modules.push_back(m.as_string());
        v.module_paths.push_back(found->path);
      }
    } else if (key == "live_previews_enable") {
      if (!value.is_bool()) throw validation_error(key, "must be true or false");
      v.live_previews = value.as_bool();
    } else if (key == "show_progress_every_n_steps") {
      if (!value.is_integer() || value.as_int() < -1 || value.as_int() > 1000)
        throw validation_error(key, "must be an integer from -1 (only the last step) to 1000");
      v.preview_every = static_cast<int>(value.as_int());
    } else if (key == "show_progress_type") {
      if (!value.is_string()) throw validation_error(key, "must be a string");
      try {
        v.preview_type = parse_preview_type(value.as_string());
        v.preview_label = value.as_string();
      } catch (const Error& e) {
        throw validation_error(key, e.what());
      }
    } else if (key == "fluxgen_device" || key == "fluxgen_vram_budget_gib") {
      // Listed by GET (a client may send the options back unchanged); chosen when the server starts.
      const json::Value listed = to_json("")[key];
      const bool same = listed.is_number() ? value.is_number() && value.as_number() == listed.as_number()
                                           : value.dump() == listed.dump();
      if (!same)
        throw validation_error(key, "is set when the server starts (fluxgen serve --device / --vram-budget)");
    } else if (key == "samples_format") {
      // Listed by GET so a client may send the options back; images are always PNG with infotext.
      if (!value.is_string() || to_lower(value.as_string()) != "png")
        throw validation_error(key, "fluxgen returns PNG images (with the infotext); only \"png\" is accepted");
    } else {
      throw validation_error(key, "not an option fluxgen applies; it takes sd_model_checkpoint, "
                                  "forge_unet_storage_dtype, forge_additional_modules, live_previews_enable, "
                                  "show_progress_every_n_steps, show_progress_type");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  values_ = std::move(v);
}

json::Value ApiOptions::to_json(const std::string& checkpoint_title) const {
  const OptionValues v = values();
  json::Value o = json::Value::object();
  o["sd_model_checkpoint"] = checkpoint_title;
  o["forge_unet_storage_dtype"] = v.storage;
  json::Value modules = json::Value::array();
  for (const std::string& m : v.additional_modules) modules.push_back(m);
  o["forge_additional_modules"] = modules;
  o["live_previews_enable"] = v.live_previews;
  o["show_progress_every_n_steps"] = v.preview_every;
  o["show_progress_type"] = v.preview_label;
  o["samples_format"] = "png";
  o["fluxgen_device"] = placement_.device == Device::CPU ? std::string("cpu") : placement_.describe();
  o["fluxgen_vram_budget_gib"] = static_cast<double>(placement_.vram_budget) / double(uint64_t(1) << 30);
  return o;
}

}  // namespace fluxgen::server
