#include "data/split.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"

namespace pocketrec {
namespace {

Dataset hand_made() {
  RawLog log;
  log.format = "test";
  // u1: 5 items at times 10..50; u2: 3 items at 15, 25, 60; u3: 2 items (kept: min 1).
  for (int i = 0; i < 5; ++i) log.add("u1", std::to_string(i + 1), 10 * (i + 1), 5);
  log.add("u2", "1", 15, 5);
  log.add("u2", "2", 25, 5);
  log.add("u2", "3", 60, 5);
  log.add("u3", "4", 5, 5);
  log.add("u3", "5", 6, 5);
  DatasetFilters filters;
  filters.min_timeline = 1;
  return build_dataset(std::move(log), filters);
}

}  // namespace

TEST(Split, LeaveOneOut) {
  auto dataset = hand_made();
  auto split = leave_one_out_split(dataset);
  EXPECT_EQ(split.test, (std::vector<Position>{{0, 4}, {1, 2}}));
  EXPECT_EQ(split.valid, (std::vector<Position>{{0, 3}, {1, 1}}));
  // u1 trains on positions 1, 2; u2 has none (only position 0 before validation); u3 all.
  EXPECT_EQ(split.train, (std::vector<Position>{{0, 1}, {0, 2}, {2, 1}}));
  // No training target is a held-out position.
  std::set<std::pair<uint32_t, uint32_t>> held;
  for (auto p : split.test) held.insert({p.timeline, p.pos});
  for (auto p : split.valid) held.insert({p.timeline, p.pos});
  for (auto p : split.train) EXPECT_FALSE(held.count({p.timeline, p.pos}));
}

TEST(Split, Temporal) {
  auto dataset = hand_made();
  // Timestamps sorted: 5 6 10 15 20 25 30 40 50 60 -> q0.5 index 4 -> 20, q0.8 index 7 -> 40.
  auto split = temporal_split(dataset, 0.5, 0.8);
  // Training: events before 20 at pos > 0: u1 pos 1 (20)? no, 20 is not < 20. u1 pos0=10 only.
  // u2 pos 0 = 15; u3 pos 1 = 6 -> {2,1}.
  EXPECT_EQ(split.train, (std::vector<Position>{{2, 1}}));
  // Validation: first event in [20, 40): u1 pos 1 (20), u2 pos 1 (25).
  EXPECT_EQ(split.valid, (std::vector<Position>{{0, 1}, {1, 1}}));
  // Test: first event >= 40: u1 pos 3 (40), u2 pos 2 (60).
  EXPECT_EQ(split.test, (std::vector<Position>{{0, 3}, {1, 2}}));
  EXPECT_THROW(temporal_split(dataset, 0.9, 0.5), Error);
}

TEST(Split, RandomExamplesIsSeededAndCoversEverything) {
  auto dataset = hand_made();
  auto a = random_example_split(dataset, 0.25, 0.0, 7);
  auto b = random_example_split(dataset, 0.25, 0.0, 7);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.train.size() + a.test.size() + a.valid.size(), 4u + 2u + 1u);
  EXPECT_EQ(a.test.size(), 1u);
}

}  // namespace pocketrec
