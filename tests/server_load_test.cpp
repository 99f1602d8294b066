// Load on `fluxgen serve`: 50 simultaneous generation requests each complete or are refused with
// 429 (none lost, no other answer), the server's memory does not grow from one such burst to the
// next, and the latency of a small txt2img is measured.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <thread>

#include "server_test_support.h"

namespace fluxgen::test {
namespace {

struct Burst {
  int ok = 0, rejected = 0, other = 0;
  std::string other_statuses;  // 0: no answer, -2: 200 without one image, -3: 429 of another kind
  double seconds = 0;
};

Burst burst(ServerProcess& server, int clients) {
  std::vector<int> status(static_cast<size_t>(clients), -1);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      const HttpAnswer a = server.post("/sdapi/v1/txt2img", small_request(100 + i));
      status[static_cast<size_t>(i)] = a.status;
      if (a.status == 0) std::fprintf(stderr, "%s\n", a.body.c_str());
      if (a.status == 200 && answer_images(a).size() != 1) status[static_cast<size_t>(i)] = -2;
      if (a.status == 429 && a.json.at("error").as_string() != "QueueFull") status[static_cast<size_t>(i)] = -3;
    });
  const auto start = std::chrono::steady_clock::now();
  go = true;
  for (auto& t : threads) t.join();
  Burst b;
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int s : status) {
    if (s == 200) ++b.ok;
    else if (s == 429) ++b.rejected;
    else {
      ++b.other;
      b.other_statuses.append(1, ' ').append(std::to_string(s));
    }
  }
  return b;
}

TEST(ServerLoad, FiftyConcurrentRequestsCompleteOrAreRejected) {
  FLUXGEN_REQUIRE_CLI();
  const std::string models = make_models_dir();
  ServerProcess server(models, {"--queue-size", "8"});
  ASSERT_EQ(server.post("/sdapi/v1/txt2img", small_request()).status, 200);  // models loaded
  const long rss_start = server.rss_kib();

  const Burst first = burst(server, 50);
  const long rss_first = server.rss_kib();
  const Burst second = burst(server, 50);
  const long rss_second = server.rss_kib();
  std::printf("[ load ] burst 1: %d done, %d rejected (429), %d other in %.2f s; burst 2: %d done, %d rejected, "
              "%d other in %.2f s\n[ load ] VmRSS: %ld KiB after warm-up, %ld after burst 1, %ld after burst 2\n",
              first.ok, first.rejected, first.other, first.seconds, second.ok, second.rejected, second.other,
              second.seconds, rss_start, rss_first, rss_second);
  for (const Burst& b : {first, second}) {
    EXPECT_EQ(b.ok + b.rejected, 50);
    EXPECT_EQ(b.other, 0) << b.other_statuses << server.log().substr(0, 2000);
    EXPECT_GE(b.ok, 9);  // at least the running job and the 8 waiting ones
  }
  // Memory is stable: a second identical burst does not add to what the first one left.
  EXPECT_LT(rss_second - rss_first, 16 * 1024) << "VmRSS grew from " << rss_first << " to " << rss_second << " KiB";
  // And the server is idle and serving afterwards. The last answer goes out just before the worker
  // marks itself idle, so idle is waited for (briefly), not read at once.
  HttpAnswer queue = server.get("/fluxgen/v1/queue");
  for (int i = 0; i < 50 && queue.json.at("running").as_bool(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    queue = server.get("/fluxgen/v1/queue");
  }
  EXPECT_EQ(queue.json.at("waiting").as_int(), 0);
  EXPECT_FALSE(queue.json.at("running").as_bool());
  EXPECT_EQ(server.post("/sdapi/v1/txt2img", small_request()).status, 200);
  // SIGTERM stops it cleanly (exit status 0, not killed by the signal).
  EXPECT_EQ(server.stop(), 0);
  EXPECT_NE(server.log().find("stopping (SIGTERM)"), std::string::npos) << server.log();
}

TEST(ServerLoad, Txt2ImgLatency) {
  FLUXGEN_REQUIRE_CLI();
  const std::string models = make_models_dir();
  ServerProcess server(models);
  auto timed = [&](const json::Value& r) {
    const auto t0 = std::chrono::steady_clock::now();
    const HttpAnswer a = server.post("/sdapi/v1/txt2img", r);
    EXPECT_EQ(a.status, 200);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  const double cold = timed(small_request());
  std::vector<double> warm;
  for (int i = 0; i < 10; ++i) warm.push_back(timed(small_request(i)));
  std::sort(warm.begin(), warm.end());
  const double mean = std::accumulate(warm.begin(), warm.end(), 0.0) / warm.size();
  std::printf("[ latency ] /sdapi/v1/txt2img 64x64, 2 steps, tiny models: first %.1f ms (loads models), then "
              "min %.1f / median %.1f / mean %.1f / max %.1f ms\n",
              cold, warm.front(), warm[warm.size() / 2], mean, warm.back());
  EXPECT_LT(warm[warm.size() / 2], 5000.0);
}

}  // namespace
}  // namespace fluxgen::test
