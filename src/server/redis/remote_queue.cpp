#include "server/redis/remote_queue.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <thread>

#include "server/api_error.h"

namespace fluxgen::server::redis {

namespace {

ApiError unavailable(const Error& e) {
  return ApiError(503, "QueueUnavailable", std::string("the job queue is unavailable: ") + e.what());
}

// A stored result as the answer: 200's body, or the error the job ended with.
json::Value answer_of(const std::string& stored, const std::string& id) {
  json::Value r;
  try {
    r = json::parse(stored);
  } catch (const std::exception& e) {
    throw ApiError(500, "GenerationError", "job " + id + ": its stored result is not JSON (" + e.what() + ")");
  }
  const int status = static_cast<int>(r.int_or("status", 500));
  if (status == 200) return r.at("body");
  const json::Value* error = r.find("error");
  if (!error) throw ApiError(status, "GenerationError", "job " + id + " failed");
  throw ApiError(status, error->string_or("kind", "GenerationError"), error->string_or("detail", "job " + id + " failed"),
                 error->string_or("field", ""));
}

}  // namespace

RemoteQueue::RemoteQueue(RemoteQueueConfig config) : config_(std::move(config)), keys_(config_.name) {}

RedisConnection RemoteQueue::connect() {
  try {
    return RedisConnection(config_.url, config_.timeout);
  } catch (const Error& e) {
    throw unavailable(e);
  }
}

std::string RemoteQueue::submit(const json::Value& body, GenerationMode mode, const json::Value& options_patch,
                                const std::string& checkpoint) {
  RedisConnection redis = connect();
  try {
    const long long waiting = waiting_jobs(redis, keys_);
    if (waiting >= static_cast<long long>(config_.capacity))
      throw ApiError(429, "QueueFull",
                     "the queue is full: " + std::to_string(waiting) + " jobs wait for a worker (--queue-size " +
                         std::to_string(config_.capacity) + "); retry later");
    const std::string id = new_job_id();
    const std::string ttl = std::to_string(config_.result_ttl_s);
    const std::string stream = keys_.jobs_for(job_model_key(checkpoint));
    register_stream(redis, keys_, stream);
    // The record first, so a worker that takes the job at once finds it. It expires like a result
    // would, after the job is done; until then its TTL is refreshed by the worker.
    redis.command({"HSET", keys_.job(id), "state", "queued", "mode", mode == GenerationMode::Txt2Img ? "txt2img" : "img2img"});
    redis.command({"XADD", stream, "*", "id", id, "mode", mode == GenerationMode::Txt2Img ? "txt2img" : "img2img",
                   "body", body.dump(), "options", options_patch.dump(), "ttl", ttl});
    return id;
  } catch (const RedisUnavailable& e) {
    throw unavailable(e);
  } catch (const RedisCommandError& e) {
    throw unavailable(e);
  }
}

json::Value RemoteQueue::wait(const std::string& id) {
  // The result may come while this waits in BLPOP or between two waits: after every wake-up (a
  // push, a timeout, a reconnection) the result key itself is read.
  auto outage_since = std::chrono::steady_clock::time_point{};
  std::string last_error;
  while (true) {
    try {
      RedisConnection redis(config_.url, config_.timeout);
      if (outage_since != std::chrono::steady_clock::time_point{})
        std::fprintf(stderr, "fluxgen serve: the job queue at %s is back; job %s still waits\n", redis.where().c_str(), id.c_str());
      outage_since = {};
      while (true) {
        const RedisReply stored = redis.command({"GET", keys_.result(id)});
        if (!stored.is_nil()) return answer_of(stored.text(), id);
        if (stopping_)
          throw ApiError(503, "ServiceUnavailable", "the server is shutting down; job " + id +
                                                        " stays queued and its result readable at /fluxgen/v1/jobs/" + id);
        redis.blocking_command({"BLPOP", keys_.done(id), "1"}, std::chrono::milliseconds(1000));
      }
    } catch (const ApiError&) {
      throw;
    } catch (const Error& e) {
      const auto now = std::chrono::steady_clock::now();
      if (outage_since == std::chrono::steady_clock::time_point{}) {
        outage_since = now;
        std::fprintf(stderr, "fluxgen serve: job %s: %s; retrying\n", id.c_str(), e.what());
      }
      if (now - outage_since > config_.outage_grace)
        throw ApiError(503, "QueueUnavailable",
                       std::string("the job queue has been unreachable for ") + std::to_string(config_.outage_grace.count()) +
                           " s while job " + id + " waited (" + e.what() + "); it may still finish: GET /fluxgen/v1/jobs/" + id);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

json::Value RemoteQueue::job(const std::string& id) {
  const bool well_formed = !id.empty() && id.size() <= 64 &&
                           std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (!well_formed) throw ApiError(404, "HTTPException", "no job " + id + " (job ids are hex digits)");
  RedisConnection redis = connect();
  try {
    const json::Value record = read_hash(redis, keys_.job(id));
    const RedisReply stored = redis.command({"GET", keys_.result(id)});
    if (record.size() == 0 && stored.is_nil())
      throw ApiError(404, "HTTPException", "no job " + id + " (unknown, or its result expired)");
    json::Value out = json::Value::object();
    out["id"] = id;
    out["state"] = record.string_or("state", "done");
    out["worker"] = record.string_or("worker", "");
    json::Value progress = nullptr;
    if (const json::Value* p = record.find("progress"); p && !p->as_string().empty()) {
      try {
        progress = json::parse(p->as_string());
      } catch (const std::exception&) {
      }
    }
    out["progress"] = progress;
    if (!stored.is_nil()) {
      try {
        out["result"] = answer_of(stored.text(), id);
      } catch (const ApiError& e) {
        json::Value error = json::Value::object();
        error["status"] = e.status();
        error["body"] = e.body();
        out["error"] = error;
      }
    }
    return out;
  } catch (const RedisUnavailable& e) {
    throw unavailable(e);
  }
}

json::Value RemoteQueue::progress(bool skip_current_image) {
  RedisConnection redis = connect();
  try {
    const RedisReply ids = redis.command({"SMEMBERS", keys_.running()});
    // The job that started first (its hash says when), as the one a single-worker A1111 would show.
    json::Value best = nullptr;
    std::string best_started;
    for (const RedisReply& id : ids.elements) {
      const RedisReply fields = redis.command({"HMGET", keys_.job(id.text()), "progress", "started"});
      if (fields.elements.size() != 2 || fields.elements[0].is_nil()) continue;
      const std::string& started = fields.elements[1].text();
      if (!best.is_null() && started >= best_started) continue;
      try {
        best = json::parse(fields.elements[0].text());
        best_started = started;
      } catch (const std::exception&) {
      }
    }
    if (!best.is_null() && skip_current_image) best["current_image"] = nullptr;
    return best;
  } catch (const RedisUnavailable& e) {
    throw unavailable(e);
  }
}

void RemoteQueue::flag_running(const std::string& field) {
  RedisConnection redis = connect();
  try {
    const RedisReply ids = redis.command({"SMEMBERS", keys_.running()});
    for (const RedisReply& id : ids.elements) redis.command({"HSET", keys_.job(id.text()), field, "1"});
  } catch (const RedisUnavailable& e) {
    throw unavailable(e);
  }
}

void RemoteQueue::interrupt() { flag_running("interrupt"); }
void RemoteQueue::skip() { flag_running("skip"); }

json::Value RemoteQueue::status() {
  RedisConnection redis = connect();
  try {
    const RedisReply ids = redis.command({"SMEMBERS", keys_.running()});
    json::Value running = json::Value::array();
    for (const RedisReply& id : ids.elements) {
      json::Value j = json::Value::object();
      j["id"] = id.text();
      j["worker"] = redis.command({"HGET", keys_.job(id.text()), "worker"}).text();
      running.push_back(j);
    }
    json::Value q = json::Value::object();
    q["running"] = running.size() > 0;
    // Per job stream too: which models the waiting jobs are for.
    long long waiting = 0;
    json::Value by_stream = json::Value::object();
    for (const auto& [stream, n] : waiting_by_stream(redis, keys_)) {
      waiting += n;
      if (n > 0) by_stream[stream] = static_cast<int64_t>(n);
    }
    q["waiting"] = static_cast<int64_t>(waiting);
    q["waiting_by_stream"] = by_stream;
    q["capacity"] = config_.capacity;
    q["running_jobs"] = running;
    q["queue"] = config_.url.redacted() + " (" + config_.name + ")";
    return q;
  } catch (const RedisUnavailable& e) {
    throw unavailable(e);
  }
}

}  // namespace fluxgen::server::redis
