#include "pipeline/adetailer_pass.h"

#include <filesystem>

#include "pipeline/adetailer/ad_prompts.h"
#include "pipeline/adetailer/detection_masks.h"
#include "pipeline/inpaint.h"
#include "pipeline/sampling_pass.h"
#include "text/prompt.h"
#include "util/error.h"

namespace fluxgen {

StageResult run_adetailer_unit(const ADetailerModels& models, const GenerationRequest& request,
                               const ADetailerUnitRequest& unit_request, const ADetailerInput& in,
                               ProgressTracker& progress) {
  const GenerationSettings& s = request.settings;
  const adetailer::ADetailerArgs& unit = unit_request.args;
  yolo::NmsOptions nms;
  nms.confidence = static_cast<float>(unit.ad_confidence);
  const auto detections = models.detector.detect(in.image, nms);
  std::vector<std::array<double, 4>> boxes;
  std::vector<double> confidences;
  for (const auto& d : detections) {
    boxes.push_back({d.x1, d.y1, d.x2, d.y2});
    confidences.push_back(d.confidence);
  }
  const std::string model_name = std::filesystem::path(unit_request.detector).filename().string();
  const std::vector<Image> masks = adetailer::prepare_masks(
      adetailer::prediction_from_boxes(boxes, confidences, in.image.width, in.image.height), unit);
  StageResult out;
  out.image = in.image;
  if (masks.empty()) {
    out.notes.push_back("ADetailer: nothing detected by " + model_name + " at confidence " +
                        std::to_string(unit.ad_confidence).substr(0, 4) + "; image " + std::to_string(in.job_no + 1) +
                        " unchanged");
    return out;
  }
  const auto prompts = adetailer::split_ad_prompt(unit.ad_prompt, in.prompt);
  const auto negatives = adetailer::split_ad_prompt(unit.ad_negative_prompt, in.negative_prompt);
  const auto [width, height] = unit.size_or(s.width, s.height);
  const int64_t f = models.codec.factor();
  if (width % (2 * f) != 0 || height % (2 * f) != 0)
    throw FieldError("ad_inpaint_width", "ADetailer's inpaint size must be a multiple of " + std::to_string(2 * f));
  const double cfg = unit.cfg_scale_or(s.cfg_scale);
  if (unit.ad_use_sampler) throw FieldError("ad_sampler", "ad_use_sampler is not supported: FLUX uses the generation's sampler");

  for (size_t j = 0; j < masks.size(); ++j) {
    const std::string& piece = adetailer::prompt_for_mask(prompts, j);
    if (adetailer::is_skip_prompt(piece)) continue;
    InpaintRequest req;
    req.image = out.image;
    req.mask = masks[j];
    req.mask_blur = static_cast<int>(unit.ad_mask_blur);
    req.only_masked = unit.ad_inpaint_only_masked;
    req.padding = static_cast<int>(unit.ad_inpaint_only_masked_padding);
    req.width = static_cast<int>(width);
    req.height = static_cast<int>(height);
    const auto prepared = prepare_inpaint(req);
    if (!prepared) continue;
    const Conditioning cond = models.text.encode(parse_prompt(piece).text);
    std::optional<Conditioning> uncond;
    if (cfg > 1.0) uncond = models.text.encode(parse_prompt(adetailer::prompt_for_mask(negatives, j)).text);
    PassSpec pass;
    pass.job = "adetailer";
    pass.sampler = request.sampler;
    pass.scheduler = unit_request.scheduler;
    pass.steps = static_cast<int>(unit.steps_or(s.steps));
    pass.denoise = unit.ad_denoising_strength;
    pass.cond = &cond;
    pass.uncond = uncond ? &*uncond : nullptr;
    pass.cfg = cfg;
    pass.guidance = s.distilled_cfg_scale;
    pass.seeds = {in.seed + static_cast<int64_t>(j)};
    pass.noise_source = request.noise_source;
    pass.step_cache = request.step_cache;
    pass.latent_height = height / f;
    pass.latent_width = width / f;
    pass.init_latent = models.codec.encode(prepared->process_image);
    pass.keep_mask = latent_keep_mask(prepared->process_mask, pass.latent_height, pass.latent_width);
    pass.job_no = in.job_no;
    progress.add_units(pass_step_count(pass));
    const PassResult r = run_pass(models.flux, pass, progress);
    note_step_cache(r, pass.job, out.notes);
    out.image = finish_inpaint(*prepared, models.codec.decode(r.latent));
    if (r.interrupted) {
      out.interrupted = true;
      break;
    }
  }
  return out;
}

}  // namespace fluxgen
