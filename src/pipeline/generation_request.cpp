#include "pipeline/generation_request.h"

#include "io/image/image_io.h"
#include "pipeline/model_discovery.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

Image load_input_image(const std::string& source, bool is_path, const char* field) {
  return as_field_error(field, [&] { return is_path ? read_image(source) : decode_image_base64(source, field).image; });
}

}  // namespace

GenerationRequest parse_request(GenerationSettings s) {
  GenerationRequest r;
  r.sampler = as_field_error("sampler_name", [&] { return sampling::parse_sampler(s.sampler); });
  r.scheduler = as_field_error("scheduler", [&] { return sampling::parse_scheduler(s.scheduler); });
  r.storage = as_field_error("forge_unet_storage_dtype", [&] { return parse_storage_option(s.storage); });
  r.noise_source = as_field_error("noise_source", [&] { return sampling::parse_noise_source(s.noise_source); });
  r.step_cache = step_cache_settings(s);
  if (s.hires.enabled) {
    HiresRequest h;
    h.sampler = s.hires.sampler.empty()
                    ? r.sampler
                    : as_field_error("hr_sampler_name", [&] { return sampling::parse_sampler(s.hires.sampler); });
    h.scheduler = s.hires.scheduler.empty()
                      ? r.scheduler
                      : as_field_error("hr_scheduler", [&] { return sampling::parse_scheduler(s.hires.scheduler); });
    r.hires = std::move(h);
  }
  const adetailer::ADetailerScriptArgs ad = as_field_error(
      "alwayson_scripts.ADetailer.args", [&] { return adetailer::parse_adetailer_script_args(s.adetailer); });
  if (!ad.rejected.empty()) throw FieldError("alwayson_scripts.ADetailer.args", join(ad.rejected, "; "));
  if (ad.enabled)
    for (const adetailer::ADetailerArgs& unit : ad.units) {
      if (unit.need_skip()) continue;
      const sampling::Scheduler scheduler =
          unit.ad_scheduler == "Use same scheduler"
              ? r.scheduler
              : as_field_error("ad_scheduler", [&] { return sampling::parse_scheduler(unit.ad_scheduler); });
      r.adetailer.push_back({unit, scheduler, ""});
    }
  r.settings = std::move(s);
  return r;
}

void resolve_request_files(GenerationRequest& r, const std::string& models_dir) {
  const GenerationSettings& s = r.settings;
  if (r.hires) r.hires->upscaler = resolve_upscaler(s.hires.upscaler, models_dir, "hr_upscaler");
  for (ADetailerUnitRequest& unit : r.adetailer)
    unit.detector = as_field_error("ad_model", [&] { return resolve_detector_file(unit.args.ad_model, models_dir); });
  r.init_image.reset();
  r.mask.reset();
  if (s.init_image.empty()) return;
  r.init_image = load_input_image(s.init_image, s.images_are_paths, "init_images");
  if (!s.mask.empty()) r.mask = load_input_image(s.mask, s.images_are_paths, "mask");
}

GenerationRequest resolve_request(GenerationSettings s, const std::string& models_dir) {
  GenerationRequest r = parse_request(std::move(s));
  resolve_request_files(r, models_dir);
  return r;
}

std::vector<std::string> auxiliary_model_files(const GenerationRequest& r) {
  std::vector<std::string> files;
  if (r.hires && r.hires->upscaler.kind == UpscalerChoice::Kind::Model) files.push_back(r.hires->upscaler.path);
  for (const ADetailerUnitRequest& unit : r.adetailer) files.push_back(unit.detector);
  return files;
}

}  // namespace fluxgen
