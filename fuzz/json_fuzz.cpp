// libFuzzer target: fluxgen's JSON parser and writer. Every input is either refused with
// fluxgen::Error (whose message names the document and a byte offset inside it) or parsed into a
// value whose compact and indented dumps both parse back to the same document.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/json.h"
#include "util/error.h"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const fluxgen::json::ParseLimits limits{64, 1 << 20};
  fluxgen::json::Value v;
  try {
    v = fluxgen::json::parse(text, "fuzz.json", limits);
  } catch (const fluxgen::Error& e) {
    const std::string msg = e.what();
    require(msg.rfind("fuzz.json: JSON error at byte ", 0) == 0);
    const size_t offset = std::stoul(msg.substr(30));
    require(offset <= size);
    return 0;
  }
  const std::string compact = v.dump();
  try {
    require(fluxgen::json::parse(compact, "dump", limits).dump() == compact);
    require(fluxgen::json::parse(v.dump(2), "dump", limits).dump() == compact);
  } catch (const fluxgen::Error&) {
    __builtin_trap();  // our own output must always parse
  }
  return 0;
}
