#include "server/job_queue.h"

#include <cstdio>
#include <exception>

#include "backend/cpu/gemm.h"

namespace fluxgen::server {

JobQueue::JobQueue(size_t max_waiting) : max_waiting_(max_waiting), worker_([this] {
        cpu::adopt_thread_count();  // --threads, which OpenMP keeps per thread
        work();
      }) {}

JobQueue::~JobQueue() { stop(); }

bool JobQueue::try_push(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || jobs_.size() >= max_waiting_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

size_t JobQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

bool JobQueue::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void JobQueue::stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  cv_.notify_all();
  dropped.clear();  // outside the lock: destroying a job may wake its waiter
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

void JobQueue::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping
      job = std::move(jobs_.front());
      jobs_.pop_front();
      running_ = true;
    }
    try {
      job();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fluxgen serve: a job failed outside its own error handling: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "fluxgen serve: a job failed outside its own error handling\n");
    }
    job = nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
}

}  // namespace fluxgen::server
