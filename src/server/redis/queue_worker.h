// `fluxgen worker`: one GPU's (or machine's) consumer of the Redis job queue. It keeps its models
// loaded between jobs, reads jobs with XREADGROUP, runs each exactly as `fluxgen serve` would (the
// same validation against its own models folder, the same GenerationService and answer), stores
// the answer once (SET NX) and only then acknowledges the entry, so a job is never lost: one whose
// worker died stays pending and another worker takes it over (XAUTOCLAIM) once it has been idle
// for the visibility timeout. Jobs for the model it has loaded go first (within
// `prefer_loaded`). A job delivered more than `max_deliveries` times without a result
// goes to the dead-letter stream with its error instead of killing workers forever.
#pragma once
#include <chrono>
#include <string>

#include "queue/redis_url.h"
#include "server/server_config.h"

namespace fluxgen::server::redis {

struct WorkerConfig {
  queue::RedisUrl url;
  std::string name = "fluxgen";  // --queue-name
  std::string consumer;          // this worker's name in the group; "" = HOST-PID
  ServerConfig server;           // models_dir, placement (--device), output_dir
  std::chrono::milliseconds visibility_timeout{60000};
  int max_deliveries = 3;
  // How much later than the oldest waiting job of another model a job for the loaded model may
  // have been queued and still go first (--prefer-loaded): the reload it saves against fairness.
  std::chrono::milliseconds prefer_loaded{120000};
  std::chrono::milliseconds timeout{2000};  // connecting and each command
};

// Serves jobs until SIGINT/SIGTERM, which let the running job finish (its result is stored) and
// then return. Prints "fluxgen worker: ready ..." on stdout once it is part of the group. Rides
// out Redis outages (reconnecting with a back-off); throws fluxgen::Error only for what retrying
// cannot fix (a wrong password).
void run_worker(const WorkerConfig& config);

}  // namespace fluxgen::server::redis
