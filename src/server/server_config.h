// What `fluxgen serve` is started with: where it listens, who may use it, where the models are, and
// the limits that keep one client from exhausting the machine (queue length, request body size).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/placement/device_choice.h"

namespace fluxgen::server {

struct Credential {
  std::string user;
  std::string password;
};

struct ServerConfig {
  std::string host = "127.0.0.1";  // 0.0.0.0 with --listen
  int port = 7860;                 // 0: any free port (printed when listening)
  std::vector<Credential> credentials;  // empty: no authentication
  std::string models_dir;
  size_t queue_size = 16;               // requests waiting behind the running one; more get 429
  size_t max_body_bytes = size_t(64) << 20;
  DevicePlacement placement;            // --device / --vram-budget
  std::string output_dir = "outputs";   // --output-dir: what the server writes (compare reports)
};

// A1111's --api-auth: "user:pass[,user2:pass2]". The password is everything after the first ':'
// (A1111 splits on every ':' and so refuses passwords holding one; taking the rest is a superset).
// Throws fluxgen::Error for an empty user, a missing ':' or an empty entry.
std::vector<Credential> parse_api_auth(std::string_view text);

}  // namespace fluxgen::server
