// libFuzzer target: the GGUF parser on arbitrary bytes. Any input must either parse into a header
// whose every promise holds (data section inside the file, each tensor's bytes equal to its
// elements x type size and inside the data, no two tensors sharing bytes, offsets aligned) or be
// refused with fluxgen::Error naming the file; a crash, sanitizer report or broken invariant is a
// finding. Parsed tensors are decoded too, so the block decoders see hostile bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "util/error.h"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fluxgen::gguf;
  Header h;
  try {
    h = parse_header(data, size, "fuzz.gguf");
  } catch (const fluxgen::Error& e) {
    require(std::string(e.what()).rfind("fuzz.gguf: ", 0) == 0);
    return 0;
  }
  require(h.data_offset <= size && h.data_offset % h.alignment == 0);
  const uint64_t data_size = size - h.data_offset;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const auto& t = h.tensors[i];
    require(t.offset % h.alignment == 0 && t.offset <= data_size && t.bytes <= data_size - t.offset);
    require(t.bytes == ggml_bytes(t.type, t.numel()));
    for (size_t j = 0; j < i; ++j) {
      const auto& u = h.tensors[j];
      if (t.bytes && u.bytes) require(t.offset + t.bytes <= u.offset || u.offset + u.bytes <= t.offset);
    }
    const auto& info = ggml_type_info(t.type);
    const int64_t nblocks = static_cast<int64_t>(std::min<uint64_t>(t.numel() / static_cast<uint64_t>(info.block_elems), 64));
    std::vector<float> out(static_cast<size_t>(nblocks * info.block_elems));
    dequantize_blocks(t.type, data + h.data_offset + t.offset, nblocks, out.data());
  }
  return 0;
}
