// Backend's defaults for device graphs and copies: what the CPU runs (no graphs; copies of host
// tensors). Accelerators override all of them.
#include <cstring>

#include "backend/backend.h"
#include "util/error.h"

namespace fluxgen {

void Backend::begin_capture() { fail(name(), ": this backend records no device graphs"); }

std::unique_ptr<DeviceGraph> Backend::end_capture() { fail(name(), ": this backend records no device graphs"); }

Tensor Backend::copy(const Tensor& src) {
  check(src.defined() && src.device() == Device::CPU, name(), ": copy of a tensor that is not on the host");
  return src.clone();
}

void Backend::copy_into(const Tensor& dst, const Tensor& src) {
  check(src.defined() && dst.defined() && src.device() == Device::CPU && dst.device() == Device::CPU, name(),
        ": copy_into between tensors that are not on the host");
  check(src.shape() == dst.shape() && src.dtype() == dst.dtype(), name(), ": copy_into ", src.describe(), " into ",
        dst.describe(), " (shapes and dtypes must match)");
  Tensor out = dst;  // a handle to the same bytes, writable
  if (src.nbytes() > 0) std::memmove(out.raw_data(), src.raw_data(), src.nbytes());
}

}  // namespace fluxgen
