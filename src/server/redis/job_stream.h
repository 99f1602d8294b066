// The job queue's layout in Redis, shared by the front ends (`fluxgen serve --queue`) and the
// workers (`fluxgen worker`). For a queue named NAME (--queue-name, default "fluxgen"):
//   NAME:jobs         stream of the jobs that name no checkpoint; fields id, mode (txt2img|img2img),
//                     body (the request JSON), options (the front end's /options as a patch), ttl
//                     (seconds results live); consumer group "workers". An entry is deleted once
//                     its job has a result.
//   NAME:jobs:MODEL   the same, for the jobs of one checkpoint (MODEL: its file's stem), so that a
//                     worker can take the jobs for the model it has loaded first.
//   NAME:streams      set of the job streams that exist (NAME:jobs is always one).
//   NAME:streams:new  stream with an entry (field stream) each time a job stream is added, so that
//                     an idle worker waiting on the known streams wakes for a new one too.
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
#include <utility>
#include <vector>

#include "io/json.h"
#include "server/redis/redis_connection.h"

namespace fluxgen::server::redis {

inline constexpr const char* kWorkerGroup = "workers";

class QueueKeys {
 public:
  explicit QueueKeys(std::string name) : name_(std::move(name)) {}
  std::string jobs() const { return name_ + ":jobs"; }
  // The stream of the jobs for `model_key` (job_model_key); jobs() for "".
  std::string jobs_for(const std::string& model_key) const {
    return model_key.empty() ? jobs() : name_ + ":jobs:" + model_key;
  }
  std::string streams() const { return name_ + ":streams"; }
  std::string new_streams() const { return name_ + ":streams:new"; }
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
  std::string stream;    // the job stream it came from
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
JobMessage parse_job_message(const RedisReply& entry, const std::string& stream);

// Which stream a job goes to: the stem of the checkpoint it runs ("" when it names none, and the
// workers choose as they would for a request without a model).
std::string job_model_key(const std::string& checkpoint);

// Creates the stream and its consumer group when missing (an existing group is kept).
void ensure_group(RedisConnection& redis, const std::string& stream);
// Makes `stream` one of the job streams (with its group), announcing it on new_streams() when it
// is new.
void register_stream(RedisConnection& redis, const QueueKeys& keys, const std::string& stream);
// Every job stream, jobs() first, then by name.
std::vector<std::string> job_streams(RedisConnection& redis, const QueueKeys& keys);

// The hash's fields as a map-like JSON object of strings ({} when it does not exist).
json::Value read_hash(RedisConnection& redis, const std::string& key);

// Jobs waiting for a worker in `stream`: entries not yet delivered (a stream holds only jobs
// without a result, delivered or not).
long long waiting_jobs(RedisConnection& redis, const std::string& stream);
// The same for every job stream, in job_streams' order, and their sum.
std::vector<std::pair<std::string, long long>> waiting_by_stream(RedisConnection& redis, const QueueKeys& keys);
long long waiting_jobs(RedisConnection& redis, const QueueKeys& keys);

// Stores the job's outcome ({"status": 200, "body": answer} or {"status": S, "error": {"kind",
// "detail", "field"}}) unless one is stored already, wakes its waiting front end, and marks the
// job finished (`state`). True when this call stored it: the job's one result.
bool publish_result(RedisConnection& redis, const QueueKeys& keys, const std::string& id, const json::Value& result,
                    const std::string& state, int ttl_s);

}  // namespace fluxgen::server::redis
