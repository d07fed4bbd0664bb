#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include "core/thread_pool.hpp"
#include "data/dataset_source.hpp"
#include "data/synth.hpp"
#include "eval/baselines.hpp"
#include "eval/evaluator.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

const Dataset& synthetic() {
  static Dataset dataset = [] {
    auto dir = testing::scratch_dir("trainer_synth");
    SynthOptions options;
    options.users = 400;
    options.items = 200;
    options.mean_length = 30;
    write_synth_dataset(options, dir.string());
    return load_dataset(dir.string(), {});
  }();
  return dataset;
}

ModelConfig config_for(const Dataset& dataset) {
  ModelConfig config;
  config.items = static_cast<int>(dataset.catalog.size());
  config.embedding_dim = 16;
  config.output_dim = 16;
  return config;
}

std::vector<std::vector<float>> weights(const DualEncoder& model) {
  std::vector<std::vector<float>> out;
  for (const auto& p : model.parameters())
    out.emplace_back(p.value.data.begin(), p.value.data.end());
  return out;
}

TrainOptions quiet() {
  TrainOptions options;
  options.progress = false;
  return options;
}

}  // namespace

TEST(Trainer, LearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(config_for(dataset));
  model.initialize(1);
  TrainConfig train;
  train.epochs = 8;
  train.threads = 2;
  train.learning_rate = 0.005f;
  auto result = Trainer(model, dataset, split, train).run(quiet());
  EXPECT_GE(result.best_epoch, 1);
  EXPECT_LT(result.epochs.back().loss, result.epochs.front().loss);
  ThreadPool pool(2);
  auto learned = evaluate(model_scorer(model, dataset), dataset, split.test, {}, pool);
  auto popularity = training_popularity(dataset, split);
  auto baseline = evaluate(popularity_scorer(popularity), dataset, split.test, {}, pool);
  EXPECT_GT(learned.hit_rate(10), 2.0 * baseline.hit_rate(10))
      << "model " << learned.hit_rate(10) << " vs popularity " << baseline.hit_rate(10);
  EXPECT_GT(learned.ndcg(10), 2.0 * baseline.ndcg(10));
}

TEST(Trainer, GruLearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto config = config_for(dataset);
  config.encoder = "gru";
  config.rnn_units = 32;
  DualEncoder model(config);
  model.initialize(1);
  TrainConfig train;
  train.epochs = 8;
  train.threads = 2;
  train.learning_rate = 0.005f;
  Trainer(model, dataset, split, train).run(quiet());
  ThreadPool pool(2);
  auto learned = evaluate(model_scorer(model, dataset), dataset, split.test, {}, pool);
  auto popularity = training_popularity(dataset, split);
  auto baseline = evaluate(popularity_scorer(popularity), dataset, split.test, {}, pool);
  EXPECT_GT(learned.hit_rate(10), 2.0 * baseline.hit_rate(10))
      << "gru " << learned.hit_rate(10) << " vs popularity " << baseline.hit_rate(10);
}

TEST(Trainer, SameSeedSameModel) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  for (int threads : {1, 2}) {
    std::vector<std::vector<std::vector<float>>> runs;
    for (int run = 0; run < 2; ++run) {
      DualEncoder model(config_for(dataset));
      model.initialize(7);
      TrainConfig train;
      train.epochs = 2;
      train.threads = threads;
      Trainer(model, dataset, split, train).run(quiet());
      runs.push_back(weights(model));
    }
    EXPECT_EQ(runs[0], runs[1]) << threads << " threads";
  }
}

TEST(Trainer, ResumeMidEpochGivesTheSameModel) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto dir = testing::scratch_dir("resume");
  TrainConfig train;
  train.epochs = 2;
  train.threads = 2;
  train.patience = 5;

  DualEncoder straight(config_for(dataset));
  straight.initialize(3);
  auto full = quiet();
  full.checkpoint = (dir / "straight.ckpt").string();
  full.model_out = (dir / "straight.pkrec").string();
  Trainer(straight, dataset, split, train).run(full);

  auto options = quiet();
  options.checkpoint = (dir / "resumed.ckpt").string();
  options.model_out = (dir / "resumed.pkrec").string();
  options.max_batches = 7;  // stop inside the first epoch
  {
    DualEncoder first(config_for(dataset));
    first.initialize(3);
    auto result = Trainer(first, dataset, split, train).run(options);
    EXPECT_TRUE(result.interrupted);
  }
  options.max_batches = 0;
  options.resume = true;
  DualEncoder resumed(config_for(dataset));
  resumed.initialize(99);  // overwritten by the checkpoint
  auto result = Trainer(resumed, dataset, split, train).run(options);
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(weights(resumed), weights(straight));
}

}  // namespace pocketrec
