#include "core/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace pocketrec {

TEST(ThreadPool, RunsEveryTaskOnce) {
  ThreadPool pool(3);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> counts(37);
    pool.run(37, [&](int i) { counts[i]++; });
    for (auto& c : counts) ASSERT_EQ(c.load(), 1);
  }
}

TEST(ThreadPool, PropagatesExceptions) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.run(8,
                        [](int i) {
                          if (i == 5) throw std::runtime_error("task failed");
                        }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int> total{0};
  pool.run(4, [&](int i) { total += i; });
  EXPECT_EQ(total.load(), 6);
}

}  // namespace pocketrec
