// What `fluxgen serve` is started with: where it listens, who may use it, where the models are, and
// the limits that keep one client from exhausting the machine (queue length, request body size).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/placement/device_choice.h"
#include "queue/redis_url.h"

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
  // --queue: generation jobs go to this Redis job queue, run by `fluxgen worker`s (docs/scale-out.md);
  // none: the in-process queue and worker thread. queue_size then bounds the jobs waiting there.
  std::optional<queue::RedisUrl> queue;
  std::string queue_name = "fluxgen";  // --queue-name: the keys' prefix
  int result_ttl_s = 3600;             // --result-ttl: how long a job's result stays readable
};

// A1111's --api-auth: "user:pass[,user2:pass2]". The password is everything after the first ':'
// (A1111 splits on every ':' and so refuses passwords holding one; taking the rest is a superset).
// Throws fluxgen::Error for an empty user, a missing ':' or an empty entry.
std::vector<Credential> parse_api_auth(std::string_view text);

}  // namespace fluxgen::server
