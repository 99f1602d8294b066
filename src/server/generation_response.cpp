#include "server/generation_response.h"

#include "io/image/image_io.h"

namespace fluxgen::server {

namespace {

json::Value info_json(const JobReport& job) {
  const GenerationSettings& s = job.result.settings;
  const auto& images = job.result.images;
  json::Value all_prompts = json::Value::array(), all_negative = json::Value::array(), all_seeds = json::Value::array(),
              all_subseeds = json::Value::array(), infotexts = json::Value::array(), notes = json::Value::array();
  for (const GeneratedImage& g : images) {
    all_prompts.push_back(s.prompt);
    all_negative.push_back(s.negative_prompt);
    all_seeds.push_back(g.seed);
    all_subseeds.push_back(-1);
    infotexts.push_back(g.infotext);
  }
  for (const std::string& n : job.result.notes) notes.push_back(n);
  json::Value info = json::Value::object();
  info["prompt"] = s.prompt;
  info["all_prompts"] = all_prompts;
  info["negative_prompt"] = s.negative_prompt;
  info["all_negative_prompts"] = all_negative;
  info["seed"] = images.empty() ? s.seed : images.front().seed;
  info["all_seeds"] = all_seeds;
  // fluxgen has no variation seeds: A1111 reports subseed -1 with strength 0 as "none".
  info["subseed"] = -1;
  info["all_subseeds"] = all_subseeds;
  info["subseed_strength"] = 0;
  info["width"] = s.width;
  info["height"] = s.height;
  info["sampler_name"] = s.sampler;
  info["scheduler"] = s.scheduler;
  info["cfg_scale"] = s.cfg_scale;
  info["distilled_cfg_scale"] = s.distilled_cfg_scale;
  info["steps"] = s.steps;
  info["batch_size"] = s.batch_size;
  info["n_iter"] = s.n_iter;
  info["restore_faces"] = false;
  info["face_restoration_model"] = nullptr;
  info["sd_model_name"] = job.model_name;
  info["sd_model_hash"] = job.model_hash;
  info["sd_vae_name"] = nullptr;
  info["sd_vae_hash"] = nullptr;
  info["seed_resize_from_w"] = -1;
  info["seed_resize_from_h"] = -1;
  info["denoising_strength"] = s.denoising_strength;
  info["extra_generation_params"] = json::Value::object();
  info["index_of_first_image"] = 0;
  info["infotexts"] = infotexts;
  info["styles"] = json::Value::array();
  info["job_timestamp"] = job.job_timestamp;
  info["clip_skip"] = 1;
  info["is_using_inpainting_conditioning"] = false;
  info["interrupted"] = job.result.interrupted;
  info["notes"] = notes;
  info["version"] = std::string("fluxgen ") + FLUXGEN_VERSION;
  return info;
}

}  // namespace

json::Value generation_response(const json::Value& request, GenerationMode mode, const JobReport& job) {
  json::Value images = json::Value::array();
  if (request.bool_or("send_images", true))
    for (const GeneratedImage& g : job.result.images)
      images.push_back(encode_png_base64(g.image, {{"parameters", g.infotext}}));
  json::Value parameters = request;
  // As A1111: the input images are not sent back unless include_init_images asks for them.
  if (mode == GenerationMode::Img2Img && !request.bool_or("include_init_images", false)) {
    parameters["init_images"] = nullptr;
    parameters["mask"] = nullptr;
  }
  json::Value response = json::Value::object();
  response["images"] = images;
  response["parameters"] = parameters;
  response["info"] = info_json(job).dump();
  return response;
}

}  // namespace fluxgen::server
