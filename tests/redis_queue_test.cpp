// The Redis job queue end to end, on a private redis-server (loopback, free port, temporary
// folder): front ends (`fluxgen serve --queue`) and workers (`fluxgen worker`) as separate
// processes. Concurrent jobs complete once each; a worker killed mid-job loses nothing (another
// takes the job over) and one that stalls and comes back does not make a second result; waiting
// jobs survive a Redis restart with AOF; an unreachable Redis is a prompt 503; progress and
// interrupt work across processes; a job that keeps killing its workers ends as a dead letter; a
// worker takes the jobs for the model it has loaded before older ones for other models.
#include <gtest/gtest.h>

#include <future>
#include <algorithm>
#include <set>

#include "redis_test_support.h"

namespace fluxgen::test {
namespace {

constexpr const char* kPassword = "pw-0f5e9c7a-secret";

class RedisQueue : public ::testing::Test {
 protected:
  void SetUp() override {
    FLUXGEN_REQUIRE_REDIS();
#ifndef FLUXGEN_QUEUE_BUILT
    GTEST_SKIP() << "fluxgen was built without the Redis job queue (apt-get install libhiredis-dev)";
#endif
    models_ = make_models_dir();
  }

  std::unique_ptr<ServerProcess> front_end(const RedisServer& redis, std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--queue", redis.url(), "--queue-size", "32"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return std::make_unique<ServerProcess>(models_, flags);
  }

  std::future<HttpAnswer> post_async(const ServerProcess& server, const json::Value& body) {
    return std::async(std::launch::async, [&server, body] { return server.post("/sdapi/v1/txt2img", body); });
  }

  // The id of the job a worker runs, once its published progress reached `step`.
  static std::string wait_running(const RedisServer& redis, int step, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string ids = redis.cli({"SMEMBERS", "fluxgen:running"});
      std::stringstream lines(ids);
      std::string id;
      while (std::getline(lines, id)) {
        if (id.empty()) continue;
        try {
          const json::Value p = json::parse(redis.cli({"HGET", "fluxgen:job:" + id, "progress"}));
          if (p.at("state").at("sampling_step").as_int() >= step) return id;
        } catch (const std::exception&) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

  static bool wait_for_log(const ChildProcess& p, const std::string& text, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (p.log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  // A job of about a second (100 steps at 64x64 on the tiny models), long enough to act on mid-way.
  static json::Value long_request(int64_t seed, int n_iter = 1) {
    json::Value r = small_request(seed, 100, 64);
    r["n_iter"] = n_iter;
    return r;
  }

  // While a long job for flux_e2e keeps one worker busy (with flux_e2e loaded), jobs for model_b,
  // model_c, model_b and flux_e2e queue up in that order; once they are done, the order the worker
  // started them in (indexes into that list).
  std::vector<size_t> order_of_queued_jobs(const std::vector<std::string>& worker_flags) {
    for (const char* name : {"model_b", "model_c"}) {
      const std::string link = models_ + "/Stable-diffusion/" + name + ".safetensors";
      if (!std::filesystem::exists(link)) std::filesystem::create_symlink(fixture("flux_e2e.safetensors"), link);
    }
    RedisServer redis;
    auto worker = start_worker(redis.url(), models_, "w1", worker_flags);
    auto server = front_end(redis);
    const auto for_model = [](json::Value r, const std::string& model) {
      r["override_settings"] = json::Value::object();
      r["override_settings"]["sd_model_checkpoint"] = model;
      return r;
    };
    auto first = post_async(*server, for_model(small_request(50, 4, 64), "flux_e2e"));
    // Once the worker has taken it, it is frozen while the others queue up: whether it was still
    // running or had finished, flux_e2e is its loaded model when it wakes.
    EXPECT_TRUE(wait_for_log(*worker, " (txt2img) started", std::chrono::seconds(60))) << worker->log();
    worker->signal(SIGSTOP);
    const std::vector<std::pair<int, std::string>> queued = {{51, "model_b"}, {52, "model_c"}, {53, "model_b"}, {54, "flux_e2e"}};
    std::vector<std::string> ids;
    for (const auto& [seed, model] : queued) {
      json::Value body = for_model(small_request(seed, 1, 32), model);
      body["async"] = true;
      const HttpAnswer a = server->post("/sdapi/v1/txt2img", body);
      EXPECT_EQ(a.status, 200) << a.body;
      if (a.status == 200) ids.push_back(a.json.at("id").as_string());
    }
    // The queue listing counts them per model while the worker is frozen.
    const json::Value listing = server->get("/fluxgen/v1/queue").json;
    worker->signal(SIGCONT);
    if (ids.size() != queued.size()) return {};
    EXPECT_EQ(listing.at("waiting").as_int(), 4) << listing.dump();
    EXPECT_EQ(listing.at("waiting_by_stream").at("fluxgen:jobs:model_b").as_int(), 2) << listing.dump();
    EXPECT_EQ(listing.at("waiting_by_stream").at("fluxgen:jobs:model_c").as_int(), 1) << listing.dump();
    EXPECT_EQ(listing.at("waiting_by_stream").at("fluxgen:jobs:flux_e2e").as_int(), 1) << listing.dump();
    const HttpAnswer a = first.get();
    EXPECT_EQ(a.status, 200) << a.body << worker->log();
    for (size_t i = 0; i < ids.size(); ++i) {
      HttpAnswer job;
      for (int n = 0; n < 2000; ++n) {
        job = server->get("/fluxgen/v1/jobs/" + ids[i]);
        if (job.status != 200 || job.json.contains("result") || job.json.contains("error")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
      EXPECT_TRUE(job.json.contains("result")) << job.body << worker->log();
      if (!job.json.contains("result")) return {};
      EXPECT_EQ(job.json.at("result").at("images").size(), 1u);
      EXPECT_EQ(json::parse(job.json.at("result").at("info").as_string()).at("seed").as_int(), queued[i].first);
    }
    for (const char* stream : {"fluxgen:jobs", "fluxgen:jobs:flux_e2e", "fluxgen:jobs:model_b", "fluxgen:jobs:model_c"})
      EXPECT_EQ(redis.cli_int({"XLEN", stream}), 0) << stream;
    const std::string log = worker->log();
    std::vector<std::pair<size_t, size_t>> at;  // (place in the log, index)
    for (size_t i = 0; i < ids.size(); ++i) {
      const size_t place = log.find("job " + ids[i] + " (txt2img) started");
      EXPECT_NE(place, std::string::npos) << log;
      at.emplace_back(place, i);
    }
    std::sort(at.begin(), at.end());
    std::vector<size_t> order;
    for (const auto& [place, i] : at) order.push_back(i);
    return order;
  }

  std::string models_;
};

TEST_F(RedisQueue, TwentyConcurrentJobsFromTwoWorkersEachCompleteOnce) {
  RedisServer redis(/*aof=*/false, kPassword);
  auto w1 = start_worker(redis.url(), models_, "w1");
  auto w2 = start_worker(redis.url(), models_, "w2");
  auto server = front_end(redis);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<HttpAnswer>> jobs;
  for (int i = 0; i < 20; ++i) jobs.push_back(post_async(*server, small_request(100 + i, 1, 32)));
  std::set<std::string> seeds;
  for (int i = 0; i < 20; ++i) {
    const HttpAnswer a = jobs[static_cast<size_t>(i)].get();
    ASSERT_EQ(a.status, 200) << a.body << server->log() << w1->log() << w2->log();
    const auto images = answer_images(a);
    ASSERT_EQ(images.size(), 1u);
    EXPECT_EQ(images[0].png.image.width, 32);
    EXPECT_EQ(images[0].info.get("Seed"), std::to_string(100 + i));  // each client its own job's answer
    seeds.insert(images[0].info.get("Seed").value_or(""));
  }
  std::printf("[ redis ] 20 jobs (32x32, 1 step) on 2 workers in %.2f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  EXPECT_EQ(seeds.size(), 20u);
  // Each job ran once: 20 results in all, 20 "finished" lines across the workers, nothing left
  // in the stream or pending.
  // A worker logs "finished" after it stored the result (which answers the client) and acked:
  // the last lines may still be on their way.
  std::string logs = w1->log() + w2->log();
  for (int i = 0; i < 100 && count(logs, " finished (200)") < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    logs = w1->log() + w2->log();
  }
  EXPECT_EQ(count(logs, " finished (200)"), 20u) << logs;
  EXPECT_EQ(count(redis.cli({"--scan", "--pattern", "fluxgen:result:*"}), "fluxgen:result:"), 20u);
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 0);
  EXPECT_EQ(redis.cli_int({"SCARD", "fluxgen:running"}), 0);

  // The async mode: an id at once, the answer from /fluxgen/v1/jobs/ID.
  json::Value body = small_request(7, 1, 32);
  body["async"] = true;
  const HttpAnswer queued = server->post("/sdapi/v1/txt2img", body);
  ASSERT_EQ(queued.status, 200) << queued.body;
  const std::string id = queued.json.at("id").as_string();
  EXPECT_EQ(queued.json.at("url").as_string(), "/fluxgen/v1/jobs/" + id);
  HttpAnswer job;
  for (int i = 0; i < 200; ++i) {
    job = server->get("/fluxgen/v1/jobs/" + id);
    if (job.status != 200 || job.json.contains("result")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(job.status, 200) << job.body;
  EXPECT_EQ(job.json.at("state").as_string(), "done");
  ASSERT_TRUE(job.json.contains("result")) << job.body;
  EXPECT_EQ(job.json.at("result").at("images").size(), 1u);
  EXPECT_FALSE(job.json.at("result").at("parameters").contains("async"));
  EXPECT_EQ(server->get("/fluxgen/v1/jobs/00112233445566778899aabbccddeeff").status, 404);

  // The password went to Redis only: no log line of any process shows it.
  for (const std::string& log : {server->log(), w1->log(), w2->log(), w1->first_output(), w2->first_output()})
    EXPECT_EQ(log.find(kPassword), std::string::npos) << log;
  EXPECT_NE(w1->first_output().find("redis://:***@127.0.0.1"), std::string::npos) << w1->first_output();
}

TEST_F(RedisQueue, AKilledWorkersJobIsFinishedByAnother) {
  RedisServer redis;
  auto w1 = start_worker(redis.url(), models_, "w1", {"--visibility-timeout", "1"});
  auto server = front_end(redis);
  auto client = post_async(*server, long_request(42));
  const std::string id = wait_running(redis, 3);
  ASSERT_FALSE(id.empty()) << w1->log();
  w1->kill_hard();  // mid-job: its entry stays pending, unacknowledged
  auto w2 = start_worker(redis.url(), models_, "w2", {"--visibility-timeout", "1"});
  const HttpAnswer a = client.get();
  ASSERT_EQ(a.status, 200) << a.body << w2->log();
  const auto images = answer_images(a);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].info.get("Seed"), "42");
  EXPECT_NE(w2->log().find("took over job " + id), std::string::npos) << w2->log();
  EXPECT_TRUE(wait_for_log(*w2, " finished (200)", std::chrono::seconds(60)));  // logged after the answer
  EXPECT_EQ(count(w2->log(), " finished (200)"), 1u);
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 0);
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:dead"}), 0);
  EXPECT_EQ(count(redis.cli({"--scan", "--pattern", "fluxgen:result:*"}), "fluxgen:result:"), 1u);
}

TEST_F(RedisQueue, AStalledWorkerThatComesBackDoesNotMakeASecondResult) {
  RedisServer redis;
  auto w1 = start_worker(redis.url(), models_, "w1", {"--visibility-timeout", "1"});
  auto server = front_end(redis);
  auto client = post_async(*server, long_request(43));
  const std::string id = wait_running(redis, 3);
  ASSERT_FALSE(id.empty()) << w1->log();
  w1->signal(SIGSTOP);  // hung: no heartbeat, so the job is taken over
  auto w2 = start_worker(redis.url(), models_, "w2", {"--visibility-timeout", "1"});
  const HttpAnswer a = client.get();
  ASSERT_EQ(a.status, 200) << a.body << w2->log();
  const std::string stored = redis.cli({"GET", "fluxgen:result:" + id});
  EXPECT_TRUE(wait_for_log(*w2, " finished (200)", std::chrono::seconds(60)));
  w1->signal(SIGCONT);  // it finishes the job too, but the result is w2's
  // Long limits: the waits end as soon as the line appears; under ASan a job takes ~10x longer.
  EXPECT_TRUE(wait_for_log(*w1, "another worker stored its result first", std::chrono::seconds(180))) << w1->log();
  EXPECT_EQ(redis.cli({"GET", "fluxgen:result:" + id}), stored);
  EXPECT_EQ(count(w1->log() + w2->log(), " finished (200)"), 1u);
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 0);
}

TEST_F(RedisQueue, WaitingJobsSurviveARedisRestartWithAof) {
  RedisServer redis(/*aof=*/true);
  auto server = front_end(redis);
  // Validation is the front end's, at once, with no worker anywhere.
  json::Value bad = small_request();
  bad["steps"] = 0;
  const HttpAnswer refused = server->post("/sdapi/v1/txt2img", bad);
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(refused.validation_field(), "steps");

  std::vector<std::future<HttpAnswer>> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(post_async(*server, small_request(200 + i, 1, 32)));
  for (int i = 0; i < 200 && redis.cli_int({"XLEN", "fluxgen:jobs"}) < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 3);
  redis.restart();
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 3);  // from the append-only file
  auto worker = start_worker(redis.url(), models_, "w1");
  for (int i = 0; i < 3; ++i) {
    const HttpAnswer a = jobs[static_cast<size_t>(i)].get();
    ASSERT_EQ(a.status, 200) << a.body << server->log() << worker->log();
    EXPECT_EQ(answer_images(a).at(0).info.get("Seed"), std::to_string(200 + i));
  }
}

TEST_F(RedisQueue, AnUnreachableRedisIsAPrompt503) {
  const std::string url = "redis://:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(free_loopback_port());
  ServerProcess server(models_, {"--queue", url});
  const auto start = std::chrono::steady_clock::now();
  const HttpAnswer a = server.post("/sdapi/v1/txt2img", small_request());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(a.json.at("error").as_string(), "QueueUnavailable");
  EXPECT_NE(a.json.at("detail").as_string().find("Connection refused"), std::string::npos) << a.body;
  EXPECT_NE(a.json.at("detail").as_string().find(":***@127.0.0.1"), std::string::npos) << a.body;
  EXPECT_EQ(server.get("/fluxgen/v1/queue").status, 503);
  for (const std::string& text : {a.body, server.log()}) EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
}

TEST_F(RedisQueue, ProgressAndInterruptWorkAcrossProcesses) {
  RedisServer redis;
  auto worker = start_worker(redis.url(), models_, "w1");
  auto server = front_end(redis);
  EXPECT_EQ(server->get("/sdapi/v1/progress").json.at("progress").as_number(), 0.0);  // idle
  auto client = post_async(*server, long_request(44, /*n_iter=*/2));
  json::Value p;
  for (int i = 0; i < 1500; ++i) {
    p = server->get("/sdapi/v1/progress").json;
    if (p.at("state").at("sampling_step").as_int() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(p.at("state").at("sampling_step").as_int(), 3) << p.dump();
  EXPECT_GT(p.at("progress").as_number(), 0.0);
  EXPECT_EQ(p.at("state").at("sampling_steps").as_int(), 100);
  const json::Value queue = server->get("/fluxgen/v1/queue").json;
  EXPECT_TRUE(queue.at("running").as_bool());
  EXPECT_EQ(queue.at("running_jobs").at(0).at("worker").as_string(), "w1");
  EXPECT_EQ(server->post("/sdapi/v1/interrupt", std::string()).status, 200);
  const HttpAnswer a = client.get();
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(answer_images(a).size(), 1u);  // the second image never started
  EXPECT_TRUE(json::parse(a.json.at("info").as_string()).at("interrupted").as_bool());
  // The next job runs in full.
  const HttpAnswer next = server->post("/sdapi/v1/txt2img", small_request(5, 1, 32));
  ASSERT_EQ(next.status, 200);
  EXPECT_FALSE(json::parse(next.json.at("info").as_string()).at("interrupted").as_bool());
}

TEST_F(RedisQueue, AWorkerTakesTheJobsForItsLoadedModelFirst) {
  // flux_e2e's job first (loaded), then the oldest other one (model_b), then model_b's second
  // (loaded now) before model_c's older one.
  EXPECT_EQ(order_of_queued_jobs({}), (std::vector<size_t>{3, 0, 2, 1}));
  // Without the preference: oldest first.
  EXPECT_EQ(order_of_queued_jobs({"--prefer-loaded", "0"}), (std::vector<size_t>{0, 1, 2, 3}));
}

TEST_F(RedisQueue, AJobThatKeepsKillingWorkersEndsAsADeadLetter) {
  RedisServer redis;
  const std::vector<std::string> flags = {"--visibility-timeout", "1", "--max-deliveries", "1"};
  auto w1 = start_worker(redis.url(), models_, "w1", flags);
  auto server = front_end(redis);
  auto client = post_async(*server, long_request(45));
  const std::string id = wait_running(redis, 3);
  ASSERT_FALSE(id.empty()) << w1->log();
  w1->kill_hard();
  auto w2 = start_worker(redis.url(), models_, "w2", flags);
  const HttpAnswer a = client.get();
  EXPECT_EQ(a.status, 500) << a.body;
  EXPECT_EQ(a.json.at("error").as_string(), "DeadLetter") << a.body;
  EXPECT_NE(a.json.at("detail").as_string().find("fluxgen:dead"), std::string::npos) << a.body;
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:dead"}), 1);
  EXPECT_NE(redis.cli({"XRANGE", "fluxgen:dead", "-", "+"}).find(id), std::string::npos);
  EXPECT_EQ(redis.cli_int({"XLEN", "fluxgen:jobs"}), 0);
  EXPECT_EQ(server->get("/fluxgen/v1/jobs/" + id).json.at("state").as_string(), "dead");
  // The worker it reached goes on serving.
  EXPECT_EQ(server->post("/sdapi/v1/txt2img", small_request(6, 1, 32)).status, 200);
}

}  // namespace
}  // namespace fluxgen::test
