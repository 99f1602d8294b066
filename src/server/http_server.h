// `fluxgen serve`: the A1111/Forge-compatible HTTP API on cpp-httplib. Binds 127.0.0.1 unless told
// to listen on all interfaces, checks basic auth before reading a request body, refuses bodies over
// the limit (413), answers every error as JSON, and runs until SIGINT/SIGTERM, when it interrupts
// the running job, refuses the waiting ones (503) and returns.
#pragma once
#include "server/server_config.h"

namespace fluxgen::server {

// Blocks until stopped by a signal. Prints "fluxgen serve: listening on http://HOST:PORT" on
// stdout once the port is bound (the actual port when config.port is 0). Throws fluxgen::Error
// when it cannot listen. Built only with cpp-httplib (FLUXGEN_WITH_HTTPLIB).
void run_server(const ServerConfig& config);

}  // namespace fluxgen::server
