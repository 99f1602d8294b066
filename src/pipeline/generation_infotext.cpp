#include "pipeline/generation_infotext.h"

#include "pipeline/hires_fix.h"
#include "pipeline/infotext.h"

namespace fluxgen {

std::string generation_infotext(const GenerationRequest& r, const ImageRunFacts& facts) {
  const GenerationSettings& s = r.settings;
  Infotext info;
  info.prompt = s.prompt;
  info.negative_prompt = s.negative_prompt;
  auto& p = info.params;
  p.emplace_back("Steps", std::to_string(s.steps));
  p.emplace_back("Sampler", s.sampler);
  p.emplace_back("Schedule type", sampling::scheduler_name(r.scheduler));
  p.emplace_back("CFG scale", infotext_number(s.cfg_scale));
  p.emplace_back("Distilled CFG Scale", infotext_number(s.distilled_cfg_scale));
  p.emplace_back("Seed", std::to_string(facts.seed));
  p.emplace_back("Size", std::to_string(s.width) + "x" + std::to_string(s.height));
  p.emplace_back("Model hash", facts.model_hash);
  p.emplace_back("Model", facts.model_name);
  if (facts.img2img) p.emplace_back("Denoising strength", infotext_number(s.denoising_strength));
  if (facts.inpaint) {
    p.emplace_back("Mask blur", std::to_string(s.mask_blur));
    if (s.inpaint_full_res) {
      p.emplace_back("Inpaint area", "Only masked");
      p.emplace_back("Masked area padding", std::to_string(s.inpaint_full_res_padding));
    }
  }
  if (facts.hires)
    for (auto& kv : hires_infotext(s)) p.push_back(kv);
  if (!r.adetailer.empty()) {
    std::vector<adetailer::ADetailerArgs> units;
    for (const ADetailerUnitRequest& u : r.adetailer) units.push_back(u.args);
    for (auto& kv : adetailer::adetailer_infotext(units)) p.push_back(kv);
  }
  if (!facts.lora_hashes.empty()) p.emplace_back("Lora hashes", facts.lora_hashes);
  p.emplace_back("Version", std::string("fluxgen ") + FLUXGEN_VERSION);
  p.emplace_back("Diffusion in Low Bits", r.storage.label);
  if (r.noise_source == sampling::NoiseSource::Cpu) p.emplace_back("RNG", "CPU");
  if (r.step_cache.mode != flux::StepCacheMode::Off) {
    p.emplace_back("Step cache", flux::step_cache_mode_name(r.step_cache.mode));
    p.emplace_back("Step cache threshold", infotext_number(r.step_cache.threshold));
  }
  return build_infotext(info);
}

}  // namespace fluxgen
