#include "server/server_config.h"

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

std::vector<Credential> parse_api_auth(std::string_view text) {
  std::vector<Credential> out;
  for (const std::string& entry : split(text, ',')) {
    const size_t colon = entry.find(':');
    check(colon != std::string::npos, "--api-auth: \"", entry, "\" is not USER:PASSWORD");
    Credential c{entry.substr(0, colon), entry.substr(colon + 1)};
    check(!c.user.empty(), "--api-auth: an entry has an empty user name");
    check(!c.password.empty(), "--api-auth: user \"", c.user, "\" has an empty password");
    out.push_back(std::move(c));
  }
  check(!out.empty(), "--api-auth: no USER:PASSWORD given");
  return out;
}

}  // namespace fluxgen::server
