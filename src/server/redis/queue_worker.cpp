#include "server/redis/queue_worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "pipeline/generation_settings.h"
#include "server/api_error.h"
#include "server/api_options.h"
#include "server/generation_service.h"
#include "server/model_catalog.h"
#include "server/redis/job_stream.h"

namespace fluxgen::server::redis {

namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler sets an atomic<bool>");

void on_stop_signal(int) { stop_requested = true; }

std::string default_consumer() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "worker");
  return std::string(host) + "-" + std::to_string(getpid());
}

// Milliseconds since the epoch, zero-padded so that the strings sort as the times do.
std::string now_ms() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%015lld", static_cast<long long>(ms));
  return buf;
}

// A stream entry id ("ms-seq"), ordered as Redis orders them.
using StreamId = std::pair<unsigned long long, unsigned long long>;

StreamId parse_stream_id(const std::string& id) {
  const size_t dash = id.find('-');
  return {std::strtoull(id.c_str(), nullptr, 10), dash == std::string::npos ? 0 : std::strtoull(id.c_str() + dash + 1, nullptr, 10)};
}

struct Outcome {
  int status = 200;
  json::Value body;   // the answer (200)
  json::Value error;  // {"kind", "detail", "field"} otherwise
};

Outcome failure(const ApiError& e) {
  Outcome o;
  o.status = e.status();
  o.error = json::Value::object();
  o.error["kind"] = e.kind();
  o.error["detail"] = std::string(e.what());
  o.error["field"] = e.field();
  return o;
}

// The job as `fluxgen serve` would run it: the front end's options, then the same generate().
Outcome run_job(GenerationService& service, ApiOptions& options, const JobMessage& job) {
  try {
    if (job.mode != "txt2img" && job.mode != "img2img")
      throw ApiError(422, "RequestValidationError", "job mode '" + job.mode + "' is neither txt2img nor img2img", "body");
    json::Value patch;
    json::Value body;
    try {
      patch = job.options.empty() ? json::Value::object() : json::parse(job.options);
      body = json::parse(job.body);
    } catch (const std::exception& e) {
      throw ApiError(422, "RequestValidationError", std::string("the job's request is not JSON: ") + e.what(), "body");
    }
    options.replace(patch);
    Outcome o;
    o.body = service.generate(body, job.mode == "img2img" ? GenerationMode::Img2Img : GenerationMode::Txt2Img);
    return o;
  } catch (const ApiError& e) {
    return failure(e);
  } catch (const FieldError& e) {
    return failure(validation_error(e.field(), e.reason()));
  } catch (const std::exception& e) {
    return failure(ApiError(500, "GenerationError", e.what()));
  }
}

// While a job runs: publishes its progress (with the live preview) into the job's hash, applies
// the interrupt / skip flags front ends set there, and keeps the stream entry claimed (XCLAIM
// resets its idle time) so no other worker takes over a job that is alive. On its own connection,
// so the job's thread never waits on Redis.
class JobMonitor {
 public:
  JobMonitor(const WorkerConfig& config, const QueueKeys& keys, const std::string& consumer, GenerationService& service,
             const JobMessage& job)
      : config_(config), keys_(keys), consumer_(consumer), service_(service), job_(job) {
    thread_ = std::thread([this] { loop(); });
  }
  ~JobMonitor() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    using clock = std::chrono::steady_clock;
    const auto heartbeat_every = std::max(std::chrono::milliseconds(50), config_.visibility_timeout / 3);
    auto last_heartbeat = clock::now();
    auto last_progress = clock::time_point{};
    bool owner = true;
    std::unique_ptr<RedisConnection> redis;
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; })) {
      lock.unlock();
      try {
        if (!redis || !redis->usable()) redis = std::make_unique<RedisConnection>(config_.url, config_.timeout);
        const RedisReply flags = redis->command({"HMGET", keys_.job(job_.id), "interrupt", "skip"});
        if (flags.elements.size() == 2) {
          if (flags.elements[0].text() == "1") service_.interrupt();
          if (flags.elements[1].text() == "1") {
            redis->command({"HDEL", keys_.job(job_.id), "skip"});  // one skip per request
            service_.skip();
          }
        }
        const auto now = clock::now();
        if (now - last_progress >= std::chrono::milliseconds(250)) {
          redis->command({"HSET", keys_.job(job_.id), "progress", service_.progress(false).dump()});
          last_progress = now;
        }
        if (owner && now - last_heartbeat >= heartbeat_every) {
          // Only while the entry is still ours: a worker that stalled and was taken over must not
          // claim its job back from the one now running it.
          const RedisReply p = redis->command({"XPENDING", job_.stream, kWorkerGroup, job_.entry_id, job_.entry_id, "1"});
          owner = !p.elements.empty() && p.elements[0].elements.size() >= 2 && p.elements[0].elements[1].text() == consumer_;
          if (owner) redis->command({"XCLAIM", job_.stream, kWorkerGroup, consumer_, "0", job_.entry_id, "JUSTID"});
          else std::fprintf(stderr, "fluxgen worker: job %s was taken over by another worker; finishing it anyway (one result is kept)\n", job_.id.c_str());
          last_heartbeat = now;
        }
      } catch (const Error&) {
        redis.reset();  // Redis is away; the main loop reports outages, this one retries quietly
      }
      lock.lock();
    }
  }

  const WorkerConfig& config_;
  const QueueKeys& keys_;
  const std::string& consumer_;
  GenerationService& service_;
  const JobMessage& job_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

class Worker {
 public:
  explicit Worker(const WorkerConfig& config)
      : config_(config),
        keys_(config.name),
        consumer_(config.consumer.empty() ? default_consumer() : config.consumer),
        catalog_(config.server.models_dir),
        options_(catalog_, config.server.placement),
        service_(config.server, catalog_, options_) {}

  void run() {
    bool announced = false, in_outage = false;
    auto backoff = std::chrono::milliseconds(250);
    while (!stop_requested) {
      try {
        if (!redis_ || !redis_->usable()) {
          redis_ = std::make_unique<RedisConnection>(config_.url, config_.timeout);
          // A Redis that restarted without its files has lost the groups: made sure of again.
          grouped_.clear();
          ensure_group(*redis_, keys_.jobs());
          grouped_.insert(keys_.jobs());
          if (in_outage) std::fprintf(stderr, "fluxgen worker: Redis at %s is back\n", redis_->where().c_str());
          in_outage = false;
          backoff = std::chrono::milliseconds(250);
          if (!announced) {
            std::printf("fluxgen worker: ready, consumer %s of queue %s on %s (models: %s)\n", consumer_.c_str(),
                        keys_.name().c_str(), redis_->where().c_str(), config_.server.models_dir.c_str());
            std::fflush(stdout);
            announced = true;
          }
        }
        int deliveries = 1;
        if (std::optional<JobMessage> job = next_job(deliveries)) process(*job, deliveries);
      } catch (const RedisUnavailable& e) {
        if (!in_outage) std::fprintf(stderr, "fluxgen worker: %s; retrying\n", e.what());
        in_outage = true;
        redis_.reset();
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      } catch (const RedisCommandError& e) {
        const std::string what = e.what();
        // A wrong password or a server without the command set we need will not fix itself.
        if (what.find("refused the connection") != std::string::npos || what.find("unknown command") != std::string::npos)
          fail("fluxgen worker: ", what);
        std::fprintf(stderr, "fluxgen worker: %s\n", what.c_str());
        redis_.reset();
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
    std::fprintf(stderr, "fluxgen worker: stopping\n");
  }

 private:
  // The next job, in this order: one another worker left idle past the visibility timeout (its
  // worker died or hung); a new one for the model this worker ran last (loaded: no reload) unless
  // a job for another model has waited prefer_loaded longer; the oldest new one of the others.
  // When none waits: nullopt, after waiting up to a second for a job (or a new job stream).
  std::optional<JobMessage> next_job(int& deliveries) {
    // Before listing the streams, so that one added after the listing wakes the wait below.
    const std::string announced = last_entry_id(keys_.new_streams());
    const std::vector<std::string> streams = job_streams(*redis_, keys_);
    for (const std::string& stream : streams)
      if (grouped_.insert(stream).second) ensure_group(*redis_, stream);
    for (const std::string& stream : streams)
      if (std::optional<JobMessage> job = claim_stale(stream, deliveries)) return job;
    deliveries = 1;
    std::vector<std::string> delivered;  // per stream, the last entry the group was given
    const std::string* oldest = nullptr;  // of the streams other than the loaded model's
    const std::string* loaded = nullptr;
    StreamId oldest_id{}, loaded_id{};
    for (const std::string& stream : streams) {
      delivered.push_back(last_delivered_id(stream));
      const RedisReply next = redis_->command({"XRANGE", stream, "(" + delivered.back(), "+", "COUNT", "1"});
      if (next.elements.empty() || next.elements[0].elements.empty()) continue;
      const StreamId id = parse_stream_id(next.elements[0].elements[0].text());
      if (stream == preferred_) loaded = &stream, loaded_id = id;
      else if (!oldest || id < oldest_id) oldest = &stream, oldest_id = id;
    }
    // The ids' first part is Redis's clock in ms: how much later the loaded model's job came.
    const auto window = static_cast<unsigned long long>(config_.prefer_loaded.count());
    const std::string* take = loaded && (!oldest || loaded_id.first <= oldest_id.first + window) ? loaded : oldest;
    // Another worker may take it first: then nullopt, and the caller asks again.
    if (take) return read_new(*take);
    wait_for_work(streams, delivered, announced);
    return std::nullopt;
  }

  // A job of `stream` another worker took and left idle past the visibility timeout.
  std::optional<JobMessage> claim_stale(const std::string& stream, int& deliveries) {
    const RedisReply r = redis_->command({"XAUTOCLAIM", stream, kWorkerGroup, consumer_,
                                          std::to_string(config_.visibility_timeout.count()), "0-0", "COUNT", "1"});
    if (r.elements.size() < 2) return std::nullopt;
    for (const RedisReply& entry : r.elements[1].elements) {
      if (entry.elements.size() != 2 || entry.elements[1].is_nil()) continue;  // deleted meanwhile
      JobMessage job = parse_job_message(entry, stream);
      const RedisReply p = redis_->command({"XPENDING", stream, kWorkerGroup, job.entry_id, job.entry_id, "1"});
      deliveries = p.elements.empty() || p.elements[0].elements.size() < 4 ? 1 : static_cast<int>(p.elements[0].elements[3].integer);
      std::fprintf(stderr, "fluxgen worker: took over job %s (delivery %d)\n", job.id.c_str(), deliveries);
      return job;
    }
    return std::nullopt;
  }

  // The next undelivered job of `stream`, without waiting.
  std::optional<JobMessage> read_new(const std::string& stream) {
    const RedisReply r = redis_->command(
        {"XREADGROUP", "GROUP", kWorkerGroup, consumer_, "COUNT", "1", "STREAMS", stream, ">"});
    if (r.is_nil() || r.elements.empty() || r.elements[0].elements.size() < 2) return std::nullopt;
    const RedisReply& entries = r.elements[0].elements[1];
    if (entries.elements.empty()) return std::nullopt;
    return parse_job_message(entries.elements[0], stream);
  }

  // Blocks (up to a second) until a stream has an entry after the one its group was last given,
  // or a job stream was announced after `announced`. Reads without a group: nothing is taken.
  void wait_for_work(const std::vector<std::string>& streams, const std::vector<std::string>& delivered,
                     const std::string& announced) {
    std::vector<std::string> words = {"XREAD", "COUNT", "1", "BLOCK", "1000", "STREAMS"};
    words.insert(words.end(), streams.begin(), streams.end());
    words.push_back(keys_.new_streams());
    words.insert(words.end(), delivered.begin(), delivered.end());
    words.push_back(announced);
    redis_->blocking_command(words, std::chrono::milliseconds(1000));
  }

  // The id of `stream`'s newest entry ("0-0" when it has none).
  std::string last_entry_id(const std::string& stream) {
    const RedisReply r = redis_->command({"XREVRANGE", stream, "+", "-", "COUNT", "1"});
    if (r.elements.empty() || r.elements[0].elements.empty()) return "0-0";
    return r.elements[0].elements[0].text();
  }

  // The id of the last entry the group was given from `stream` (XINFO GROUPS' last-delivered-id).
  std::string last_delivered_id(const std::string& stream) {
    const RedisReply groups = redis_->command({"XINFO", "GROUPS", stream});
    for (const RedisReply& group : groups.elements) {
      std::string name, last = "0-0";
      for (size_t i = 0; i + 1 < group.elements.size(); i += 2) {
        if (group.elements[i].text() == "name") name = group.elements[i + 1].text();
        else if (group.elements[i].text() == "last-delivered-id") last = group.elements[i + 1].text();
      }
      if (name == kWorkerGroup) return last;
    }
    return "0-0";
  }

  void acknowledge(const JobMessage& job) {
    redis_->command({"XACK", job.stream, kWorkerGroup, job.entry_id});
    redis_->command({"XDEL", job.stream, job.entry_id});
  }

  void process(const JobMessage& job, int deliveries) {
    if (redis_->command({"EXISTS", keys_.result(job.id)}).integer == 1) {
      std::fprintf(stderr, "fluxgen worker: job %s already has its result; acknowledged\n", job.id.c_str());
      acknowledge(job);
      return;
    }
    if (deliveries > config_.max_deliveries) {
      dead_letter(job, deliveries);
      return;
    }
    redis_->command({"HSET", keys_.job(job.id), "state", "running", "worker", consumer_, "started", now_ms(), "deliveries",
                     std::to_string(deliveries)});
    redis_->command({"SADD", keys_.running(), job.id});
    std::fprintf(stderr, "fluxgen worker: job %s (%s) started\n", job.id.c_str(), job.mode.c_str());
    const auto start = std::chrono::steady_clock::now();
    Outcome outcome;
    {
      JobMonitor monitor(config_, keys_, consumer_, service_, job);
      outcome = run_job(service_, options_, job);
    }
    if (outcome.status == 200) preferred_ = job.stream;  // its model is the one loaded now
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    store(job, outcome, seconds);
  }

  // Stores the outcome and acknowledges the entry, retrying through Redis outages: the job was
  // done, its result must not be lost to a restart. Given up only when the worker is told to stop
  // (the entry stays pending, and another worker runs the job again).
  void store(const JobMessage& job, const Outcome& o, double seconds) {
    auto backoff = std::chrono::milliseconds(250);
    while (true) {
      try {
        if (!redis_ || !redis_->usable()) redis_ = std::make_unique<RedisConnection>(config_.url, config_.timeout);
        const bool mine = publish(job, o);
        acknowledge(job);
        if (mine)
          std::fprintf(stderr, "fluxgen worker: job %s finished (%d) in %.2f s\n", job.id.c_str(), o.status, seconds);
        else
          std::fprintf(stderr, "fluxgen worker: job %s: another worker stored its result first; acknowledged only\n",
                       job.id.c_str());
        return;
      } catch (const RedisUnavailable& e) {
        std::fprintf(stderr, "fluxgen worker: cannot store job %s's result yet: %s\n", job.id.c_str(), e.what());
        redis_.reset();
        if (stop_requested) return;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      }
    }
  }

  bool publish(const JobMessage& job, const Outcome& o) {
    json::Value result = json::Value::object();
    result["status"] = o.status;
    if (o.status == 200) result["body"] = o.body;
    else result["error"] = o.error;
    return publish_result(*redis_, keys_, job.id, result, o.status == 200 ? "done" : "failed", job.ttl_s);
  }

  void dead_letter(const JobMessage& job, int deliveries) {
    const std::string error = "job " + job.id + " was delivered " + std::to_string(deliveries) +
                              " times and its worker stopped each time (crashed, was killed or hung past the visibility "
                              "timeout); it was moved to the dead-letter stream " + keys_.dead() + " instead of being "
                              "tried again";
    redis_->command({"XADD", keys_.dead(), "*", "id", job.id, "mode", job.mode, "body", job.body, "deliveries",
                     std::to_string(deliveries), "error", error});
    Outcome o;
    o.status = 500;
    o.error = json::Value::object();
    o.error["kind"] = "DeadLetter";
    o.error["detail"] = error;
    o.error["field"] = "";
    json::Value result = json::Value::object();
    result["status"] = o.status;
    result["error"] = o.error;
    publish_result(*redis_, keys_, job.id, result, "dead", job.ttl_s);
    redis_->command({"HSET", keys_.job(job.id), "error", error});
    acknowledge(job);
    std::fprintf(stderr, "fluxgen worker: %s\n", error.c_str());
  }

  const WorkerConfig& config_;
  QueueKeys keys_;
  std::string consumer_;
  ModelCatalog catalog_;
  ApiOptions options_;
  GenerationService service_;
  std::unique_ptr<RedisConnection> redis_;
  std::set<std::string> grouped_;  // the job streams this connection made sure have the group
  std::string preferred_;          // the stream of the last job run: its model is loaded
};

}  // namespace

void run_worker(const WorkerConfig& config) {
  struct sigaction on_stop {};
  on_stop.sa_handler = on_stop_signal;
  sigemptyset(&on_stop.sa_mask);
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Worker worker(config);
  worker.run();
}

}  // namespace fluxgen::server::redis
