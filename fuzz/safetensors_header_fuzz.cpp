// libFuzzer target: the safetensors header parser (and through it the JSON parser) on arbitrary
// bytes. Any input must either parse into a header whose every promise holds (offsets inside the
// data, byte counts equal to shape x dtype, sorted unique names, no two tensors sharing bytes) or
// be refused with fluxgen::Error; a crash, sanitizer report or broken invariant is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/safetensors.h"
#include "util/error.h"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fluxgen::SafetensorsHeader h;
  try {
    h = fluxgen::parse_safetensors_header(data, size, "fuzz.safetensors");
  } catch (const fluxgen::Error& e) {
    require(std::string(e.what()).rfind("fuzz.safetensors: ", 0) == 0);  // errors name the file
    return 0;
  }
  require(h.data_offset >= 8 && h.data_offset <= size);
  const uint64_t data_size = size - h.data_offset;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const auto& t = h.tensors[i];
    require(t.begin <= t.end && t.end <= data_size);
    require(t.bytes() == fluxgen::dtype_storage_bytes(t.dtype, fluxgen::shape_numel(t.shape)));
    if (i > 0) require(h.tensors[i - 1].name < t.name);
    for (size_t j = 0; j < i; ++j) {
      const auto& u = h.tensors[j];
      if (t.bytes() && u.bytes()) require(t.end <= u.begin || u.end <= t.begin);
    }
  }
  return 0;
}
