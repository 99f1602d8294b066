// Helpers for the Redis job queue tests: a private redis-server on a free loopback port with its
// own temporary folder (never a shared instance), stopped and restarted at will; redis-cli
// commands against it; and `fluxgen worker` processes that can be stopped, frozen or killed.
#pragma once
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>

#include "server_test_support.h"

namespace fluxgen::test {

// The first executable `name` on PATH, or "".
inline std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

#define FLUXGEN_REQUIRE_REDIS()                                                                              \
  FLUXGEN_REQUIRE_CLI();                                                                                     \
  if (::fluxgen::test::find_program("redis-server").empty() || ::fluxgen::test::find_program("redis-cli").empty()) \
  GTEST_SKIP() << "redis-server / redis-cli not installed (apt-get install redis-server)"

// A loopback TCP port nothing listens on right now.
inline int free_loopback_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot find a free loopback port");
  close(s);
  return ntohs(a.sin_port);
}

// redis-server on 127.0.0.1 and a free port, its files in a fresh temporary folder. With `aof`,
// every write goes to the append-only file (and survives restart()); without, nothing is saved.
class RedisServer {
 public:
  explicit RedisServer(bool aof = false, std::string password = "")
      : dir_(temp_dir()), port_(free_loopback_port()), aof_(aof), password_(std::move(password)) {
    start();
  }
  ~RedisServer() { stop(); }

  void start() {
    std::vector<std::string> args = {find_program("redis-server"), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--dir", dir_, "--save", "", "--appendonly", aof_ ? "yes" : "no",
                                     "--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    process_ = std::make_unique<ChildProcess>(args, dir_ + "/redis.log", "");
    for (int i = 0; i < 100; ++i) {
      if (cli({"PING"}) == "PONG") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port_));
  }
  // SIGTERM: Redis flushes its append-only file and exits.
  void stop() {
    if (process_) process_->stop();
    process_.reset();
  }
  void restart() {
    stop();
    start();
  }

  int port() const { return port_; }
  std::string url() const {
    return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") + "127.0.0.1:" + std::to_string(port_);
  }

  // redis-cli's answer, trimmed (the words are passed as they are: no shell).
  std::string cli(const std::vector<std::string>& words) const {
    std::string cmd = find_program("redis-cli") + " --no-auth-warning -h 127.0.0.1 -p " + std::to_string(port_);
    if (!password_.empty()) cmd += " -a '" + password_ + "'";
    for (const std::string& w : words) cmd += " '" + w + "'";
    cmd += " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return "";
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
    return out;
  }
  long long cli_int(const std::vector<std::string>& words) const {
    const std::string s = cli(words);
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return -1;
    }
  }

 private:
  std::string dir_;
  int port_;
  bool aof_;
  std::string password_;
  std::unique_ptr<ChildProcess> process_;
};

// `fluxgen worker` on `redis`'s queue; ready once it has joined the consumer group.
inline std::unique_ptr<ChildProcess> start_worker(const std::string& url, const std::string& models_dir,
                                                  const std::string& name, std::vector<std::string> extra = {}) {
  const std::string dir = temp_dir();
  std::vector<std::string> args = {FLUXGEN_BINARY, "--threads", "1", "worker", "--queue", url, "--models-dir", models_dir,
                                   "--output-dir", dir, "--name", name};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ChildProcess>(args, dir + "/worker.log", "fluxgen worker: ready",
                                        std::vector<std::string>{"FLUXGEN_CACHE_DIR=" + dir});
}

}  // namespace fluxgen::test
