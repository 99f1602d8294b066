// Sigma schedules for FLUX (rectified flow: x_sigma = sigma * noise + (1 - sigma) * x0, sigma from
// 1 down to 0). A schedule for N steps is N + 1 float32 sigmas ending in 0, computed with the same
// float32 arithmetic as the reference implementation so the values match it to the last bit or
// within 1e-6 (tests/fixtures/bfl_schedules.json, forge_schedules.json).
//
// Names (case-insensitive), as Forge's "Schedule type" spells them:
//   "Simple" - Forge/ComfyUI's simple_scheduler over the FLUX sigma table: sigma_j =
//              table[-(1 + int(j * 10000 / N))], table_k = shift(k / 10000), k = 1..10000, with
//              Forge's fixed mu = 1.15 (the 4096-token shift, resolution independent).
//   "Beta"   - Forge's beta_scheduler (arXiv 2407.12173, alpha = beta = 0.6): sigma_min +
//              ppf(1 - j/(N-1)) * (sigma_max - sigma_min), j = 0..N-1, over the same table's ends.
//   "Normal" - Forge's normal_scheduler: FLUX's predictor maps sigma <-> t as the identity, so this
//              is linspace(sigma_max, sigma_min, N) of the table.
//   "BFL"    - black-forest-labs/flux get_schedule(N, image_seq_len): linspace(1, 0, N + 1) shifted
//              with mu = 0.5 + (1.15 - 0.5) (image_seq_len - 256) / (4096 - 256).
// shift(t) = e^mu / (e^mu + (1/t - 1)). Only "BFL" depends on image_seq_len (tokens = (H/16)(W/16)).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen::sampling {

enum class Scheduler { Simple, Beta, Normal, Bfl };

// Case-insensitive; an unknown name is an error listing the valid ones.
Scheduler parse_scheduler(std::string_view name);
// The canonical spelling ("Simple", "Beta", "Normal", "BFL"), e.g. for the infotext.
std::string scheduler_name(Scheduler s);
std::vector<std::string> scheduler_names();

// steps in [1, 10000]; image_seq_len >= 1 (used by BFL only).
std::vector<float> make_schedule(Scheduler s, int steps, int64_t image_seq_len);
std::vector<float> make_schedule(std::string_view name, int steps, int64_t image_seq_len);

// A1111/Forge img2img step bookkeeping (modules/sd_samplers_common.py setup_img2img_steps) for a
// denoising strength in (0, 1]:
//   plain (img2img, inpaint, ADetailer):   total = steps, t_enc = int(min(denoise, 0.999) * steps)
//   explicit steps (HiRes.fix second pass): total = int(steps / min(denoise, 0.999)), t_enc = steps - 1
// The sampler then runs schedule(total)[total - t_enc - 1 :], i.e. t_enc + 1 steps from sigma_0,
// starting from sigma_0 * noise + (1 - sigma_0) * latent.
struct Img2ImgSteps {
  int total_steps;
  int t_enc;
};
Img2ImgSteps img2img_steps(int steps, double denoise, bool explicit_steps);
std::vector<float> img2img_window(Scheduler s, int steps, double denoise, bool explicit_steps, int64_t image_seq_len);
std::vector<float> img2img_window(std::string_view name, int steps, double denoise, bool explicit_steps,
                                  int64_t image_seq_len);

// Building blocks, exposed for tests and for the pipeline's infotext.
// BFL's mu for a token count (get_lin_function through (256, 0.5) and (4096, 1.15)).
double flux_mu(int64_t image_seq_len);
// The 10000-entry sigma table of Forge's PredictionFlux (mu = flux_mu(4096)), ascending.
const std::vector<float>& forge_flux_sigma_table();
// torch.linspace(start, end, steps) in float32, as PyTorch's CPU kernel computes it.
std::vector<float> torch_linspace_f32(float start, float end, int64_t steps);

}  // namespace fluxgen::sampling
