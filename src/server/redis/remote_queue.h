// The front end's side of the Redis job queue (`fluxgen serve --queue`): a validated request
// becomes a stream entry that any worker may take, and the HTTP handler waits for its result; the
// progress, interrupt, skip and queue routes read and write what the workers publish. Every Redis
// failure becomes a 503 naming the queue (redacted) and the reason, within the connection timeout,
// never a hang; a waiting request rides out a Redis restart of up to `outage_grace`.
#pragma once
#include <atomic>
#include <chrono>
#include <string>

#include "io/json.h"
#include "queue/redis_url.h"
#include "server/redis/job_stream.h"
#include "server/request_validation.h"

namespace fluxgen::server::redis {

struct RemoteQueueConfig {
  queue::RedisUrl url;
  std::string name = "fluxgen";
  size_t capacity = 16;       // jobs that may wait for a worker; more get 429
  int result_ttl_s = 3600;    // how long results (and job records) stay readable
  std::chrono::milliseconds timeout{2000};   // connecting and each command
  std::chrono::seconds outage_grace{30};     // a waiting request's patience with an unreachable Redis
};

class RemoteQueue {
 public:
  explicit RemoteQueue(RemoteQueueConfig config);

  // Adds the job to the stream of `checkpoint` (the file the validated request runs, "" when it
  // names none), so that a worker with that model loaded takes it first; returns its id. Throws
  // ApiError 429 (the queue is full) or 503 (unreachable).
  std::string submit(const json::Value& body, GenerationMode mode, const json::Value& options_patch,
                     const std::string& checkpoint);
  // Waits for the job's result: its answer, or the ApiError it ended with.
  json::Value wait(const std::string& id);
  // GET /fluxgen/v1/jobs/ID: {"id", "state", "worker", "progress", and "result" (the answer) or
  // "error" (status and body) once finished}. 404 for an unknown or expired id.
  json::Value job(const std::string& id);
  // The /sdapi/v1/progress answer of a running job (the one started first), or null when none runs.
  json::Value progress(bool skip_current_image);
  // Asks every running job to stop (interrupt) or to skip its current image.
  void interrupt();
  void skip();
  // {"running": bool, "waiting": n, "capacity": n, "running_jobs": [{"id", "worker"}], "queue": URL}.
  json::Value status();
  // The server is stopping: waiting requests answer 503 (their jobs still run and keep results).
  void stop() { stopping_ = true; }

 private:
  RedisConnection connect();  // ApiError 503 when Redis cannot be reached
  void flag_running(const std::string& field);

  RemoteQueueConfig config_;
  QueueKeys keys_;
  std::atomic<bool> stopping_{false};
};

}  // namespace fluxgen::server::redis
