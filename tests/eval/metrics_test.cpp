#include "eval/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval/evaluator.hpp"

namespace pocketrec {

TEST(Metrics, ExactValuesOnHandMadeRanks) {
  RankingMetrics m(10);
  std::vector<uint32_t> top_a = {1, 2}, top_b = {2, 3}, none;
  m.add(0, top_a);  // hit at the top
  m.add(3, top_b);  // 4th place
  m.add(15, none);  // miss for every K
  EXPECT_EQ(m.cases(), 3u);
  EXPECT_DOUBLE_EQ(m.hit_rate(1), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.hit_rate(5), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.hit_rate(20), 3.0 / 3);
  EXPECT_DOUBLE_EQ(m.ndcg(1), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.ndcg(10), (1.0 + 1.0 / std::log2(5.0)) / 3);
  EXPECT_DOUBLE_EQ(m.ndcg(20), (1.0 + 1.0 / std::log2(5.0) + 1.0 / std::log2(17.0)) / 3);
  EXPECT_DOUBLE_EQ(m.mrr(), (1.0 + 0.25 + 1.0 / 16) / 3);
  EXPECT_DOUBLE_EQ(m.coverage(), 3.0 / 10);
}

TEST(Metrics, MergeEqualsAddingEverything) {
  RankingMetrics a(5), b(5), all(5);
  std::vector<uint32_t> t1 = {1}, t2 = {5};
  a.add(2, t1);
  all.add(2, t1);
  b.add(7, t2);
  all.add(7, t2);
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.ndcg(10), all.ndcg(10));
  EXPECT_DOUBLE_EQ(a.mrr(), all.mrr());
  EXPECT_DOUBLE_EQ(a.coverage(), 2.0 / 5);
}

TEST(RankTarget, ExcludesSeenAndCountsTiesAgainstTheTarget) {
  // Items 1..5 with scores; target 3 (0.5).
  std::vector<float> scores = {0.9f, 0.5f, 0.5f, 0.7f, 0.1f};
  std::vector<uint8_t> excluded(6, 0);
  std::vector<uint32_t> top(2);
  EXPECT_EQ(rank_target(scores, 3, excluded, top), 3u);  // 0.9, 0.7, and the 0.5 tie
  EXPECT_EQ(top, (std::vector<uint32_t>{1, 4}));
  excluded[1] = 1;  // item 1 seen
  EXPECT_EQ(rank_target(scores, 3, excluded, top), 2u);
  EXPECT_EQ(top, (std::vector<uint32_t>{4, 2}));
  // The target itself is ranked even when it appears in the history (re-consumption).
  excluded[3] = 1;
  EXPECT_EQ(rank_target(scores, 3, excluded, top), 2u);
}

TEST(RankTarget, ConstantScoresGiveTheWorstRank) {
  std::vector<float> scores(100, 1.0f);
  std::vector<uint8_t> excluded(101, 0);
  std::vector<uint32_t> top(10);
  EXPECT_EQ(rank_target(scores, 50, excluded, top), 99u);
}

TEST(RankTarget, NanTargetIsAMiss) {
  std::vector<float> scores = {0.1f, std::numeric_limits<float>::quiet_NaN(), 0.2f};
  std::vector<uint8_t> excluded(4, 0);
  std::vector<uint32_t> top(1);
  EXPECT_EQ(rank_target(scores, 2, excluded, top), 3u);
}

}  // namespace pocketrec
