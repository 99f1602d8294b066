#include "models/flux/flux_io_inputs.h"

#include "tensor/convert.h"

namespace fluxgen::flux {

FluxInputs read_flux_inputs(const SafetensorsFile& io) {
  FluxInputs in;
  in.img = io.get_f32("in.img");
  in.img_ids = io.get_f32("in.img_ids");
  in.txt = io.get_f32("in.txt");
  in.txt_ids = io.get_f32("in.txt_ids");
  in.y = io.get_f32("in.y");
  in.timesteps = to_vector(io.get_f32("in.timesteps"));
  if (io.contains("in.guidance")) in.guidance = to_vector(io.get_f32("in.guidance"));
  return in;
}

}  // namespace fluxgen::flux
