// Super-resolution checkpoints in the namings users have: one canonical naming per architecture,
// whatever file layout the weights came in.
//  RRDBNet (ESRGAN, Real-ESRGAN x4plus/x2plus, 4x-UltraSharp, Remacri ...), canonical = BasicSR:
//    conv_first, body.N.rdbK.convJ, conv_body, conv_up1..conv_upU, conv_hr, conv_last.
//    Also read: the original ESRGAN naming (model.0, model.1.sub.N.RDBk.convj.0, model.1.sub.NB,
//    then the upsampling convs, HR conv and last conv at the remaining model.i in order — model.3,
//    model.6, model.8, model.10 at x4) and xinntao's "new arch" naming (RRDB_trunk.N.RDBk.convj,
//    trunk_conv, upconv1, upconv2, HRconv).
//  SRVGGNetCompact (Real-ESRGAN compact: realesr-animevideov3, realesr-general-x4v3): body.N.
// Wrappers are unwrapped: {"params_ema": ...} (preferred, as Real-ESRGAN's own loader does),
// {"params": ...}, and a DataParallel "module." prefix.
#pragma once
#include <memory>
#include <string>

#include "io/tensor_store.h"

namespace fluxgen {

enum class SrArchitecture { RRDBNet, SRVGGNetCompact };

struct SrCheckpoint {
  SrArchitecture architecture = SrArchitecture::RRDBNet;
  std::string layout;                         // which naming the file used, for messages and `info`
  std::shared_ptr<const TensorStore> store;   // canonical names, every tensor F32
};

// Detects the architecture and naming of `file` and renames its tensors; throws naming the file
// when it is neither an RRDBNet nor an SRVGGNetCompact checkpoint.
SrCheckpoint read_sr_checkpoint(const TensorStore& file);

}  // namespace fluxgen
