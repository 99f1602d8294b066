// HTTP basic authentication (RFC 7617) as A1111's --api-auth checks it: the Authorization header
// "Basic base64(user:password)" against the configured credentials, compared in constant time so
// the answer's timing tells nothing about how much of a password was right.
#pragma once
#include <string_view>
#include <vector>

#include "server/server_config.h"

namespace fluxgen::server {

// True when `authorization` (the header's value, "" when absent) names one of `credentials`.
bool basic_auth_accepts(std::string_view authorization, const std::vector<Credential>& credentials);

}  // namespace fluxgen::server
