#include "server/basic_auth.h"

#include "util/base64.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// Equal strings in time that depends on the lengths only, not on where they first differ.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

bool basic_auth_accepts(std::string_view authorization, const std::vector<Credential>& credentials) {
  const std::string header = trim(authorization);
  if (header.size() < 6 || to_lower(header.substr(0, 6)) != "basic ") return false;
  std::string decoded;
  try {
    const std::vector<uint8_t> bytes = base64_decode(trim(std::string_view(header).substr(6)), "Authorization");
    decoded.assign(bytes.begin(), bytes.end());
  } catch (const Error&) {
    return false;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string_view user = std::string_view(decoded).substr(0, colon);
  const std::string_view password = std::string_view(decoded).substr(colon + 1);
  bool accepted = false;
  for (const Credential& c : credentials) {
    // Every entry is compared, so the time does not reveal which user exists.
    const bool match = constant_time_equal(user, c.user) & constant_time_equal(password, c.password);
    accepted = accepted || match;
  }
  return accepted;
}

}  // namespace fluxgen::server
