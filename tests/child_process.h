// A child process for the tests that start programs (`fluxgen serve`, `fluxgen worker`,
// redis-server): stdout to a pipe read until it says it is ready, stderr to a log file, stopped
// with SIGTERM (SIGKILL after 30 s) or killed hard.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace fluxgen::test {

// How a ChildProcess treats its log file and its stdout once it is ready.
struct ChildOptions {
  // Start the log afresh (a server per test) or append to it (a worker restarted on one log).
  bool truncate_log = false;
  // Keep reading end of stdout open after the ready text: a child that goes on printing needs it
  // (writes would fail with EPIPE otherwise); one that prints only its first line does not.
  bool keep_stdout = true;
};

// A child process with stdout to a pipe (for its first line) and stderr to a log file.
class ChildProcess {
 public:
  // Waits up to 60 s for stdout text matching `ready` (empty: returns at once). Each NAME=value
  // in `extra_env` replaces the inherited NAME.
  ChildProcess(std::vector<std::string> args, const std::string& log_path, const std::string& ready,
               const std::vector<std::string>& extra_env = {}, ChildOptions options = {})
      : log_path_(log_path) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_store = extra_env;
    for (char** e = environ; *e; ++e) {
      const std::string var(*e);
      const std::string name = var.substr(0, var.find('=') + 1);
      bool replaced = false;
      for (const auto& x : extra_env) replaced = replaced || x.rfind(name, 0) == 0;
      if (!replaced) env_store.push_back(var);
    }
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | (options.truncate_log ? O_TRUNC : O_APPEND), 0644);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const int rc = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      throw std::runtime_error("cannot start " + args[0]);
    }
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!ready.empty() && !std::regex_search(text, std::regex(ready)) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    // Later output is not read: it goes to a pipe nobody drains, where small outputs never fill it.
    if (options.keep_stdout)
      stdout_fd_ = out[0];
    else
      close(out[0]);
    if (!ready.empty() && !std::regex_search(text, std::regex(ready)))
      throw std::runtime_error(args[0] + " " + args[1] + " did not get ready: " + text + "\n" + log());
    first_output_ = text;
  }
  ~ChildProcess() {
    stop();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // SIGTERM and wait (SIGKILL after 30 s); the exit status.
  int stop() { return end(SIGTERM); }
  // kill -9, as a crash or a pulled plug would.
  int kill_hard() { return end(SIGKILL); }
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  pid_t pid() const { return pid_; }
  // Whether it still runs (reaps it when it has ended).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
    pid_ = 0;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  const std::string& first_output() const { return first_output_; }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  int end(int sig) {
    if (pid_ <= 0) return status_;
    ::kill(pid_, sig);
    if (sig != SIGKILL) ::kill(pid_, SIGCONT);  // a frozen process must run to stop
    int status = 0;
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = 0;
    status_ = -1;
    return status_;
  }

  pid_t pid_ = 0;
  int status_ = 0;
  int stdout_fd_ = -1;
  std::string log_path_;
  std::string first_output_;
};

}  // namespace fluxgen::test
