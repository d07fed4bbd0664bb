#include "core/thread_pool.hpp"

#include <algorithm>
#include <exception>

namespace pocketrec {

int default_thread_count() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); ++i) {
    workers_.emplace_back([this, i] { worker_loop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::run(int tasks, const std::function<void(int)>& task) {
  if (workers_.empty() || tasks <= 1) {
    for (int i = 0; i < tasks; ++i) task(i);
    return;
  }
  std::exception_ptr failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    tasks_ = tasks;
    next_task_ = 0;
    running_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  // The caller works too instead of idling.
  while (true) {
    int index;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_task_ >= tasks_) break;
      index = next_task_++;
    }
    try {
      task(index);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return running_ == 0; });
  task_ = nullptr;
  if (!failure) failure = failure_;
  failure_ = nullptr;
  if (failure) std::rethrow_exception(failure);
}

void ThreadPool::run_team(const std::function<void(int)>& task) {
  if (workers_.empty()) {
    task(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    team_ = true;
    tasks_ = 0;
    next_task_ = 0;
    running_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr failure;
  try {
    task(0);
  } catch (...) {
    failure = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return running_ == 0; });
  task_ = nullptr;
  team_ = false;
  if (!failure) failure = failure_;
  failure_ = nullptr;
  if (failure) std::rethrow_exception(failure);
}

void SpinBarrier::arrive_and_wait() {
  int generation = generation_.load(std::memory_order_acquire);
  if (waiting_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
    waiting_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    return;
  }
  int spins = 0;
  while (generation_.load(std::memory_order_acquire) == generation) {
    if (++spins > 4096) std::this_thread::yield();
  }
}

void ThreadPool::worker_loop(int worker) {
  uint64_t seen_generation = 0;
  while (true) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
    if (stopping_) return;
    seen_generation = generation_;
    if (team_) {
      const auto* task = task_;
      lock.unlock();
      try {
        (*task)(worker);
        lock.lock();
      } catch (...) {
        lock.lock();
        if (!failure_) failure_ = std::current_exception();
      }
    }
    while (next_task_ < tasks_) {
      int index = next_task_++;
      const auto* task = task_;
      lock.unlock();
      try {
        (*task)(index);
        lock.lock();
      } catch (...) {
        lock.lock();
        if (!failure_) failure_ = std::current_exception();
      }
    }
    if (--running_ == 0) done_.notify_all();
  }
}

}  // namespace pocketrec
