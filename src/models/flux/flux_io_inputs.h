// The in.* tensors of a FLUX IO file (the golden fixtures' flux_io.safetensors layout) as the
// transformer's inputs: in.img, in.img_ids, in.txt, in.txt_ids, in.timesteps, in.y, in.guidance.
#pragma once
#include "io/safetensors.h"
#include "models/flux/flux_model.h"

namespace fluxgen::flux {

FluxInputs read_flux_inputs(const SafetensorsFile& io);

}  // namespace fluxgen::flux
