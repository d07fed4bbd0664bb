#include "train/recipe.hpp"

#include <gtest/gtest.h>

namespace pocketrec {

TEST(Recipe, ProfileCountsTrainingHistories) {
  RawLog log;
  log.format = "test";
  // Users of 5, 7 and 25 items; leave-one-out keeps positions 1..n-3 as training targets: 2, 4
  // and 22, so training histories of 3, 5 and 23 items.
  for (int i = 0; i < 5; ++i) log.add("a", std::to_string(i), i, 0);
  for (int i = 0; i < 7; ++i) log.add("b", std::to_string(i), i, 0);
  for (int i = 0; i < 25; ++i) log.add("c", std::to_string(i), i, 0);
  auto dataset = build_dataset(std::move(log), DatasetFilters{});
  auto split = leave_one_out_split(dataset);
  auto profile = profile_training_data(dataset, split);
  EXPECT_EQ(profile.users, 3u);
  EXPECT_EQ(profile.items, 25u);
  EXPECT_EQ(profile.train_targets, 2u + 4u + 22u);
  EXPECT_EQ(profile.median_length, 5.0);
  EXPECT_EQ(profile.p90_length, 23.0);
}

TEST(Recipe, SparseLogsGetShortWindowsAndStrongDropout) {
  DataProfile amazon;  // amazon-office-like: 4,905 users, median 7
  amazon.users = 4905;
  amazon.train_targets = 38543;
  amazon.median_length = 7;
  amazon.p90_length = 14;
  auto r = attention_recipe(amazon);
  EXPECT_EQ(r.context_length, 20);
  EXPECT_EQ(r.dropout, 0.5f);
  EXPECT_EQ(r.ffn_ratio, 1);
  EXPECT_EQ(r.weight_decay, 1.0f);
  EXPECT_EQ(r.batch_size, (4905 + 38543 / 20) / 100);  // 68: about 100 steps an epoch
  EXPECT_EQ(r.learning_rate, 1e-3f);
  EXPECT_FALSE(r.exclude_seen);

  DataProfile movielens;  // ml-1m-sasrec-like: long histories
  movielens.users = 6040;
  movielens.train_targets = 981491;
  movielens.median_length = 94;
  movielens.p90_length = 393;
  r = attention_recipe(movielens);
  EXPECT_EQ(r.context_length, 200);
  EXPECT_EQ(r.dropout, 0.2f);
  EXPECT_EQ(r.ffn_ratio, 4);
  EXPECT_EQ(r.weight_decay, 0.0f);
  EXPECT_EQ(r.batch_size, 109);  // (6040 + 981491 / 200) / 100
  EXPECT_EQ(r.learning_rate, 2e-3f);
  EXPECT_TRUE(r.exclude_seen);

  DataProfile small_dense;  // ml-100k-like: long histories, a small log
  small_dense.users = 943;
  small_dense.train_targets = 97000;
  small_dense.median_length = 63;
  small_dense.p90_length = 240;
  r = attention_recipe(small_dense);
  EXPECT_EQ(r.dropout, 0.2f);
  EXPECT_EQ(r.ffn_ratio, 1);
  EXPECT_TRUE(r.exclude_seen);

  DataProfile tiny;
  tiny.users = 100;
  tiny.train_targets = 300;
  tiny.median_length = 4;
  tiny.p90_length = 6;
  r = attention_recipe(tiny);
  EXPECT_EQ(r.context_length, 20);
  EXPECT_EQ(r.batch_size, 32);
}

}  // namespace pocketrec
