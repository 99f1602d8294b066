// The job queue's layout in Redis, shared by the front ends (`fluxgen serve --queue`) and the
// workers (`fluxgen worker`). For a queue named NAME (--queue-name, default "fluxgen"):
//   NAME:jobs         stream of jobs; fields id, mode (txt2img|img2img), body (the request JSON),
//                     options (the front end's /options as a patch), ttl (seconds results live);
//                     consumer group "workers". An entry is deleted once its job has a result.
//   NAME:job:ID       hash: state (queued|running|done|failed|dead), worker, progress (the
//                     /sdapi/v1/progress JSON the worker publishes), interrupt / skip ("1" when
//                     asked), deliveries. Expires with the result.
//   NAME:result:ID    the outcome, written once (SET NX): {"status", "body"} or {"status", "error"}.
//   NAME:done:ID      list the result's writer pushes to, so a waiting front end wakes (BLPOP).
//   NAME:running      set of the IDs being generated (progress, interrupt and the queue listing).
//   NAME:dead         stream of dead letters: jobs that were delivered too often without a result
//                     (fields id, mode, body, deliveries, error).
#pragma once
#include <string>
#include <vector>

#include "io/json.h"
#include "server/redis/redis_connection.h"

namespace fluxgen::server::redis {

inline constexpr const char* kWorkerGroup = "workers";

class QueueKeys {
 public:
  explicit QueueKeys(std::string name) : name_(std::move(name)) {}
  std::string jobs() const { return name_ + ":jobs"; }
  std::string dead() const { return name_ + ":dead"; }
  std::string running() const { return name_ + ":running"; }
  std::string job(const std::string& id) const { return name_ + ":job:" + id; }
  std::string result(const std::string& id) const { return name_ + ":result:" + id; }
  std::string done(const std::string& id) const { return name_ + ":done:" + id; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

struct JobMessage {
  std::string entry_id;  // the stream entry's id
  std::string id;        // the job's
  std::string mode;
  std::string body;
  std::string options;
  int ttl_s = 3600;
};

// 32 hex digits from the system's random source: job ids cannot be guessed from one another.
std::string new_job_id();

// A stream entry as XREADGROUP / XAUTOCLAIM answer it ([entry id, [field, value, ...]]). Throws
// fluxgen::Error for an entry that lacks a field (written by something else than fluxgen).
JobMessage parse_job_message(const RedisReply& entry);

// Creates the stream and its consumer group when missing (an existing group is kept).
void ensure_group(RedisConnection& redis, const QueueKeys& keys);

// The hash's fields as a map-like JSON object of strings ({} when it does not exist).
json::Value read_hash(RedisConnection& redis, const std::string& key);

// Jobs waiting for a worker: entries in the stream not yet delivered (the stream holds only jobs
// without a result, delivered or not).
long long waiting_jobs(RedisConnection& redis, const QueueKeys& keys);

// Stores the job's outcome ({"status": 200, "body": answer} or {"status": S, "error": {"kind",
// "detail", "field"}}) unless one is stored already, wakes its waiting front end, and marks the
// job finished (`state`). True when this call stored it: the job's one result.
bool publish_result(RedisConnection& redis, const QueueKeys& keys, const std::string& id, const json::Value& result,
                    const std::string& state, int ttl_s);

}  // namespace fluxgen::server::redis
