#include "pipeline/adetailer_pass.h"

#include <filesystem>

#include "pipeline/adetailer/ad_prompts.h"
#include "pipeline/adetailer/detection_masks.h"
#include "pipeline/inpaint.h"
#include "pipeline/sampling_pass.h"
#include "text/prompt.h"
#include "util/error.h"

namespace fluxgen {

Image run_adetailer_unit(StageContext& ctx, const ADetailerUnitRequest& request, const ADetailerInput& in,
                         bool* interrupted) {
  *interrupted = false;
  const GenerationSettings& s = ctx.settings();
  const adetailer::ADetailerArgs& unit = request.args;
  const std::string& model_path = request.detector;
  yolo::NmsOptions nms;
  nms.confidence = static_cast<float>(unit.ad_confidence);
  const auto detections = ctx.models.detector(model_path).detect(in.image, nms);
  std::vector<std::array<double, 4>> boxes;
  std::vector<double> confidences;
  for (const auto& d : detections) {
    boxes.push_back({d.x1, d.y1, d.x2, d.y2});
    confidences.push_back(d.confidence);
  }
  const std::string model_name = std::filesystem::path(model_path).filename().string();
  const std::vector<Image> masks = adetailer::prepare_masks(
      adetailer::prediction_from_boxes(boxes, confidences, in.image.width, in.image.height), unit);
  if (masks.empty()) {
    ctx.notes.push_back("ADetailer: nothing detected by " + model_name + " at confidence " +
                        std::to_string(unit.ad_confidence).substr(0, 4) + "; image " + std::to_string(in.job_no + 1) +
                        " unchanged");
    return in.image;
  }
  const auto prompts = adetailer::split_ad_prompt(unit.ad_prompt, in.prompt);
  const auto negatives = adetailer::split_ad_prompt(unit.ad_negative_prompt, in.negative_prompt);
  const auto [width, height] = unit.size_or(s.width, s.height);
  const int64_t f = ctx.models.vae().config().downscale();
  if (width % (2 * f) != 0 || height % (2 * f) != 0)
    throw FieldError("ad_inpaint_width", "ADetailer's inpaint size must be a multiple of " + std::to_string(2 * f));
  const double cfg = unit.cfg_scale_or(s.cfg_scale);
  if (unit.ad_use_sampler) throw FieldError("ad_sampler", "ad_use_sampler is not supported: FLUX uses the generation's sampler");

  Image image = in.image;
  for (size_t j = 0; j < masks.size(); ++j) {
    const std::string& piece = adetailer::prompt_for_mask(prompts, j);
    if (adetailer::is_skip_prompt(piece)) continue;
    InpaintRequest req;
    req.image = image;
    req.mask = masks[j];
    req.mask_blur = static_cast<int>(unit.ad_mask_blur);
    req.only_masked = unit.ad_inpaint_only_masked;
    req.padding = static_cast<int>(unit.ad_inpaint_only_masked_padding);
    req.width = static_cast<int>(width);
    req.height = static_cast<int>(height);
    const auto prepared = prepare_inpaint(req);
    if (!prepared) continue;
    TextEncoders& text = ctx.models.text();
    const Conditioning cond = text.encode(parse_prompt(piece).text);
    std::optional<Conditioning> uncond;
    if (cfg > 1.0) uncond = text.encode(parse_prompt(adetailer::prompt_for_mask(negatives, j)).text);
    PassSpec pass;
    pass.job = "adetailer";
    pass.sampler = ctx.request.sampler;
    pass.scheduler = request.scheduler;
    pass.steps = static_cast<int>(unit.steps_or(s.steps));
    pass.denoise = unit.ad_denoising_strength;
    pass.cond = &cond;
    pass.uncond = uncond ? &*uncond : nullptr;
    pass.cfg = cfg;
    pass.guidance = s.distilled_cfg_scale;
    pass.seeds = {in.seed + static_cast<int64_t>(j)};
    pass.noise_source = ctx.request.noise_source;
    pass.step_cache = ctx.request.step_cache;
    pass.latent_height = height / f;
    pass.latent_width = width / f;
    pass.init_latent = encode_image(ctx, prepared->process_image);
    pass.keep_mask = latent_keep_mask(prepared->process_mask, pass.latent_height, pass.latent_width);
    pass.job_no = in.job_no;
    ctx.progress.add_units(pass_step_count(pass));
    const PassResult r = run_pass(ctx.models.flux(), pass, ctx.progress);
    note_step_cache(r, pass.job, ctx.notes);
    image = finish_inpaint(*prepared, decode_latent(ctx, r.latent));
    if (r.interrupted) {
      *interrupted = true;
      break;
    }
  }
  return image;
}

}  // namespace fluxgen
