#include "cli/eval_registry.h"

namespace fluxgen::cli {

std::vector<EvalRegistration> eval_registrations() {
  return {
      register_eval_flux,
      register_eval_flux_sample,
      register_eval_vae,
      register_eval_randn,
      register_eval_taesd,
      register_eval_esrgan,
      register_eval_clip,
      register_eval_t5,
      register_eval_yolo,
  };
}

}  // namespace fluxgen::cli
