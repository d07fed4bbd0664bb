#include "train/tune.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/dataset_source.hpp"
#include "data/synth.hpp"
#include "train/synthetic_log.hpp"

namespace pocketrec {
namespace {

const Dataset& small_synthetic() {
  static Dataset dataset = testing::synthetic_log("tune_synth", 300, 150, 25);
  return dataset;
}

}  // namespace

TEST(Tune, FindsAClearlyBetterSettingThanABadStart) {
  const auto& dataset = small_synthetic();
  auto split = leave_one_out_split(dataset);
  ModelConfig model;
  model.items = static_cast<int>(dataset.catalog.size());
  model.embedding_dim = 16;
  model.output_dim = 16;
  TrainConfig bad;
  bad.learning_rate = 1e-6f;  // learns nothing in a few epochs
  bad.epochs = 4;
  bad.threads = 2;
  TuneOptions options;
  options.trials = 4;
  options.budget_minutes = 5;
  std::vector<int> reported;
  auto result = tune(dataset, split, model, bad, options,
                     [&](const Trial& t) { reported.push_back(t.index); });
  ASSERT_EQ(result.trials.size(), 4u);
  EXPECT_EQ(reported, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(result.trials[0].train.learning_rate, 1e-6f);  // trial 0 is the start itself
  ASSERT_GE(result.best, 1);
  const double start = result.trials[0].valid_ndcg10;
  const double best = result.trials[result.best].valid_ndcg10;
  EXPECT_GT(best, 2 * start + 0.02) << "start " << start << " best " << best;
  ASSERT_TRUE(result.model);
  EXPECT_EQ(result.model->config().context_length, result.trials[result.best].model.context_length);
}

TEST(Tune, TrialsAreDeterministicForASeed) {
  ModelConfig model;
  model.items = 10;
  model.encoder = parse_encoder("attention");
  TrainConfig train;
  for (int i = 1; i < 6; ++i) {
    Trial a = sample_trial(i, model, train, 7), b = sample_trial(i, model, train, 7);
    EXPECT_EQ(a.train.learning_rate, b.train.learning_rate);
    EXPECT_EQ(a.model.context_length, b.model.context_length);
    EXPECT_EQ(a.model.attention.residual_dropout, b.model.attention.residual_dropout);
    EXPECT_GE(a.train.learning_rate, 3e-4f);
    EXPECT_LE(a.train.learning_rate, 1e-2f);
    EXPECT_NO_THROW(a.model.validate());
  }
  EXPECT_NE(sample_trial(1, model, train, 7).train.learning_rate,
            sample_trial(1, model, train, 8).train.learning_rate);
}

TEST(Tune, BudgetsParse) {
  EXPECT_DOUBLE_EQ(parse_budget_minutes("30m"), 30);
  EXPECT_DOUBLE_EQ(parse_budget_minutes("90s"), 1.5);
  EXPECT_DOUBLE_EQ(parse_budget_minutes("2h"), 120);
  EXPECT_DOUBLE_EQ(parse_budget_minutes("45"), 45);
  EXPECT_THROW(parse_budget_minutes("soon"), Error);
  EXPECT_THROW(parse_budget_minutes("-5m"), Error);
  EXPECT_THROW(parse_budget_minutes("m"), Error);
}

}  // namespace pocketrec
