// One generation at a time, first come first served: a single worker thread takes jobs from a
// bounded FIFO. The GPU (or the CPU's cores) can only do one job well at a time, and a bound on the
// waiting line turns overload into an immediate "try later" (429) instead of unbounded memory and
// latency. A job that throws leaves the worker running for the next one.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace fluxgen::server {

class JobQueue {
 public:
  using Job = std::function<void()>;

  // At most `max_waiting` jobs wait behind the running one.
  explicit JobQueue(size_t max_waiting);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Appends `job`; false (and `job` is dropped) when the line is full or the queue stopped. Jobs
  // must report their own results (a packaged_task): the worker ignores what they throw.
  bool try_push(Job job);

  size_t waiting() const;
  size_t capacity() const { return max_waiting_; }
  bool running() const;

  // Takes no more jobs, drops the waiting ones (destroying them, so their promises break) and
  // joins the worker once the running job returns.
  void stop();

 private:
  void work();

  const size_t max_waiting_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace fluxgen::server
