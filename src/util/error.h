// Errors a user can read: every failure in fluxgen is a fluxgen::Error whose message names the file,
// the tensor or the field at fault and what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace fluxgen {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A device (GPU) allocation that did not fit in its memory or in the VRAM budget. Its own type so
// that a job can end with a message naming what did not fit while the server goes on.
class DeviceOutOfMemory : public Error {
 public:
  explicit DeviceOutOfMemory(const std::string& message) : Error(message) {}
};

// Builds a message from any streamable parts: fail("file.safetensors: tensor ", name, " is missing").
template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  throw Error(os.str());
}

template <typename... Parts>
void check(bool condition, Parts&&... parts) {
  if (!condition) fail(std::forward<Parts>(parts)...);
}

}  // namespace fluxgen
