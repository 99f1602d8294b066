// libFuzzer target for the data-only torch checkpoint reader. The first input byte picks what the
// rest is: 0 a whole file (zip or legacy), 1 the object pickle of a zip checkpoint whose storages
// data/0 .. data/15 exist (so mutations reach the pickle machine instead of failing the zip CRC),
// 2 the object pickle of a legacy stream (after a valid magic number, protocol and sys_info).
// Any fluxgen::Error is a clean refusal; every other exception, crash or sanitizer report is a bug.
// Build and run: fuzz/run_fuzzers.sh SECONDS
#include <cstdint>
#include <cstring>
#include <string>

#include "../tests/torch_pickle_builders.h"
#include "io/torch_pickle/torch_store.h"
#include "util/error.h"

namespace {

std::string legacy_prefix() {
  using fluxgen::test::PickleWriter;
  PickleWriter magic, proto, info;
  magic.proto(2).op(0x8a).byte(10).raw(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10)).stop();
  proto.proto(2).integer(1001).stop();
  info.proto(2).op('}').str("little_endian").op(0x88).op('s').stop();
  return magic.bytes() + proto.bytes() + info.bytes();
}

std::string zip_around(const std::string& pickle) {
  static const auto storages = [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < 16; ++i) {
      std::string bytes(1152, '\0');
      for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<char>(j * 31 + i);
      out.emplace_back(std::to_string(i), bytes);
    }
    return out;
  }();
  return fluxgen::test::make_torch_zip(pickle, storages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string file;
  switch (data[0] % 3) {
    case 0: file = payload; break;
    case 1: file = zip_around(payload); break;
    default: file = legacy_prefix() + payload; break;
  }
  fluxgen::torch_pickle::Limits limits;
  limits.max_objects = 1 << 16;
  limits.max_memo = 1 << 16;
  limits.max_stack = 1 << 16;
  try {
    auto store = fluxgen::torch_checkpoint_store_from_bytes(std::make_shared<const std::string>(std::move(file)),
                                                            "fuzz.pt", limits);
    uint64_t sum = 0;
    for (const auto& name : store->names()) {
      const fluxgen::Tensor t = store->get(name);
      if (t.shape() != store->shape(name) || t.dtype() != store->dtype(name)) __builtin_trap();
      const auto* p = static_cast<const uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i) sum += p[i];  // touch every byte for ASan
    }
    if (sum == 0x123456789abcdefULL) return 1;
  } catch (const fluxgen::Error&) {
  }
  return 0;
}
