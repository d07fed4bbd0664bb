#pragma once
// A fixed set of worker threads that run one parallel loop at a time. Work is split by task index,
// never by timing, so results that are reduced in task order are deterministic.
#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pocketrec {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls task(i) for i in [0, tasks); task 0 and others run on the caller's thread too.
  void run(int tasks, const std::function<void(int)>& task);
  // Calls task(t) once on each of the size() threads at the same time (t = 0 on the caller), so
  // the tasks may wait for each other at a SpinBarrier. A task must not throw past a barrier.
  void run_team(const std::function<void(int)>& task);

 private:
  void worker_loop(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_ = 0;
  int next_task_ = 0;
  int running_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  bool team_ = false;
  std::exception_ptr failure_;
};

int default_thread_count();

// A barrier for a team of threads that meet often and briefly (every training batch): spinning
// avoids the tens of microseconds a sleeping thread takes to wake up.
class SpinBarrier {
 public:
  explicit SpinBarrier(int count) : count_(count) {}
  void arrive_and_wait();

 private:
  const int count_;
  std::atomic<int> waiting_{0};
  std::atomic<int> generation_{0};
};

}  // namespace pocketrec
