#include "train/trainer.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "data/dataset_source.hpp"
#include "data/synth.hpp"
#include "eval/baselines.hpp"
#include "eval/evaluator.hpp"
#include "model/feature_inputs.hpp"
#include "model/input_config.hpp"
#include "train/batcher.hpp"
#include "train/synthetic_log.hpp"

namespace pocketrec {
namespace {

const Dataset& synthetic() {
  static Dataset dataset = testing::synthetic_log("trainer_synth", 400, 200, 30);
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

// Trains a model initialized from `seed` until `stop_after` batches (interrupted, checkpoint
// saved), then resumes into a model initialized differently (overwritten by the checkpoint).
// Returns the resumed run's result; `resumed` holds its model.
TrainResult interrupt_and_resume(const Dataset& dataset, const Split& split,
                                 const TrainConfig& train, TrainOptions options, uint64_t seed,
                                 size_t stop_after, DualEncoder& resumed) {
  options.max_batches = stop_after;
  {
    DualEncoder first(resumed.config());
    first.initialize(seed);
    EXPECT_TRUE(Trainer(first, dataset, split, train).run(options).interrupted);
  }
  options.max_batches = 0;
  options.resume = true;
  resumed.initialize(99);
  return Trainer(resumed, dataset, split, train).run(options);
}

// What the learning tests train with: a few epochs, two threads, a brisk learning rate.
TrainConfig learning_config() {
  TrainConfig train;
  train.epochs = 8;
  train.threads = 2;
  train.learning_rate = 0.005f;
  return train;
}

TrainOptions quiet() {
  TrainOptions options;
  options.progress = false;
  return options;
}

// Test HR@10 and NDCG@10 of the trained model against twice those of most-popular.
void expect_beats_popularity(const DualEncoder& model, const Dataset& dataset, const Split& split) {
  ThreadPool pool(2);
  auto learned = evaluate(model_scorer(model, dataset), dataset, split.test, {}, pool);
  auto popularity = training_popularity(dataset, split);
  auto baseline = evaluate(popularity_scorer(popularity), dataset, split.test, {}, pool);
  EXPECT_GT(learned.hit_rate(10), 2.0 * baseline.hit_rate(10))
      << name(model.config().encoder) << " " << learned.hit_rate(10) << " vs popularity "
      << baseline.hit_rate(10);
  EXPECT_GT(learned.ndcg(10), 2.0 * baseline.ndcg(10));
}

// Trains `model`: the loss falls and the model ranks clearly better than popularity.
void expect_learns(DualEncoder& model, const Dataset& dataset, const Split& split,
                   const TrainConfig& train) {
  auto result = Trainer(model, dataset, split, train).run(quiet());
  EXPECT_LT(result.epochs.back().loss, result.epochs.front().loss);
  expect_beats_popularity(model, dataset, split);
}

}  // namespace

TEST(Trainer, LearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(config_for(dataset));
  model.initialize(1);
  TrainConfig train = learning_config();
  auto result = Trainer(model, dataset, split, train).run(quiet());
  EXPECT_GE(result.best_epoch, 1);
  EXPECT_LT(result.epochs.back().loss, result.epochs.front().loss);
  expect_beats_popularity(model, dataset, split);
}

class EncoderLearning : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(CnnGruLstm, EncoderLearning, ::testing::Values("cnn", "gru", "lstm"));

TEST_P(EncoderLearning, LearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto config = config_for(dataset);
  config.encoder = parse_encoder(GetParam());
  config.rnn_units = 32;
  config.context_length = 8;
  DualEncoder model(config);
  model.initialize(1);
  TrainConfig train = learning_config();
  Trainer(model, dataset, split, train).run(quiet());
  expect_beats_popularity(model, dataset, split);
}

TEST(Trainer, FeatureModelLearnsClearlyBetterThanPopularity) {
  // Item, year and rating channels plus a genre-list group through CNNs, and user attributes from
  // the synthetic users.dat: the whole feature path, trained end to end.
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto config = config_for(dataset);
  config.encoder = parse_encoder("cnn");
  config.context_length = 8;
  apply_feature_list({"genre", "year", "rating", "gender", "age"}, config);
  bind_features(config, dataset);
  DualEncoder model(config);
  model.initialize(1);
  TrainConfig train = learning_config();
  expect_learns(model, dataset, split, train);
}

TEST(Trainer, CausalWindowsAndTargets) {
  RawLog log;
  log.format = "test";
  for (int i = 1; i <= 7; ++i) log.add("u", std::to_string(i), i, 5);
  DatasetFilters filters;
  auto dataset = build_dataset(std::move(log), filters);
  auto split = leave_one_out_split(dataset);  // train targets at positions 1..4
  auto windows = causal_windows(split.train, 3);
  EXPECT_EQ(windows, (std::vector<Position>{{0, 4}, {0, 1}}));
  ModelConfig config;
  config.context_length = 3;
  Batch batch;
  make_causal_batch(dataset, windows, config, batch);
  // Window ending at 4: context items 2,3,4 (positions 1..3) predict 3,4,5; the held-out 6 and 7
  // never appear. Window ending at 1: context [0, 0, item 1] predicts item 2 only.
  EXPECT_EQ(batch.contexts, (std::vector<int32_t>{2, 3, 4, 0, 0, 1}));
  EXPECT_EQ(batch.targets, (std::vector<uint32_t>{3, 4, 5, 0, 0, 2}));
  EXPECT_TRUE(batch.seen.empty());
  // With the seen items: each target's whole timeline before it, beyond the window too.
  make_causal_batch(dataset, windows, config, batch, true);
  ASSERT_EQ(batch.seen.size(), 6u);
  auto seen = [&](int slot) {
    return std::vector<uint32_t>(batch.seen[slot].begin(), batch.seen[slot].end());
  };
  EXPECT_EQ(seen(0), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(seen(2), (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_TRUE(seen(3).empty());
  EXPECT_EQ(seen(5), (std::vector<uint32_t>{1}));
}

TEST(Trainer, ShiftedCausalWindowsKeepTheNewestAndTheCount) {
  RawLog log;
  log.format = "test";
  for (int i = 1; i <= 12; ++i) log.add("long", std::to_string(i), i, 5);
  for (int i = 1; i <= 4; ++i) log.add("short", std::to_string(i), i, 5);
  DatasetFilters filters;
  auto dataset = build_dataset(std::move(log), filters);
  auto split = leave_one_out_split(dataset);  // long: targets 1..9; short: 1..1
  const auto last = last_training_positions(split.train);
  ASSERT_EQ(last.size(), 2u);
  const uint32_t long_user = dataset.timelines[last[0].timeline].items.size() == 12 ? 0 : 1;
  EXPECT_EQ(last[long_user].pos, 9u);
  EXPECT_EQ(last[1 - long_user].pos, 1u);
  // With L = 4 the long user's fixed ends are 9, 5, 1; shifted, 9 stays and the older two move
  // forward together by s in [0, 4): 5 + s and 1 + s. Every shift appears over enough draws.
  std::mt19937_64 rng(7);
  std::set<int> shifts;
  for (int draw = 0; draw < 64; ++draw) {
    auto windows = shifted_causal_windows(last, 4, rng);
    ASSERT_EQ(windows.size(), causal_windows(split.train, 4).size());
    std::vector<uint32_t> ends;
    for (const auto& w : windows) {
      if (w.timeline == last[long_user].timeline)
        ends.push_back(w.pos);
      else
        EXPECT_EQ(w.pos, 1u);
    }
    ASSERT_EQ(ends.size(), 3u);
    EXPECT_EQ(ends[0], 9u);
    const int shift = static_cast<int>(ends[1]) - 5;
    EXPECT_GE(shift, 0);
    EXPECT_LT(shift, 4);
    EXPECT_EQ(static_cast<int>(ends[2]), 1 + shift);
    shifts.insert(shift);
  }
  EXPECT_EQ(shifts.size(), 4u);

  // Shifting needs causal windows of one process's own timelines; the seen items, the full softmax.
  TrainConfig train;
  train.shift_windows = true;
  EXPECT_THROW(train.validate(), Error);
  train.causal = true;
  EXPECT_NO_THROW(train.validate());
  train.shard_batches = true;
  EXPECT_THROW(train.validate(), Error);
  TrainConfig sampled;
  sampled.exclude_seen = true;
  EXPECT_NO_THROW(sampled.validate());
  sampled.loss = LossKind::kSampled;
  EXPECT_THROW(sampled.validate(), Error);
}

TEST(Trainer, CausalGruLearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto config = config_for(dataset);
  config.encoder = parse_encoder("gru");
  config.rnn_units = 32;
  config.context_length = 20;
  DualEncoder model(config);
  model.initialize(1);
  TrainConfig train;
  train.epochs = 15;
  train.threads = 2;
  train.batch_size = 32;
  train.learning_rate = 0.005f;
  train.causal = true;
  Trainer(model, dataset, split, train).run(quiet());
  expect_beats_popularity(model, dataset, split);
  // BOW cannot train causally.
  DualEncoder bow(config_for(dataset));
  EXPECT_THROW(Trainer(bow, dataset, split, train), Error);
}

ModelConfig attention_config_for(const Dataset& dataset) {
  auto config = config_for(dataset);
  config.encoder = parse_encoder("attention");
  config.context_length = 20;
  config.output_dim = 0;
  config.attention.heads = 2;
  config.attention.embedding_dropout = config.attention.attention_dropout =
      config.attention.residual_dropout = 0.1f;
  return config;
}

// What the attention learning tests train with: causal, a short warmup, a brisk rate.
TrainConfig attention_learning_config() {
  TrainConfig train;
  train.epochs = 12;
  train.threads = 2;
  train.batch_size = 32;
  train.learning_rate = 0.005f;
  train.warmup_steps = 20;
  train.causal = true;
  return train;
}

TEST(Trainer, CausalAttentionLearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(attention_config_for(dataset));
  model.initialize(1);
  TrainConfig train = attention_learning_config();
  train.weight_decay = 0.01f;
  expect_learns(model, dataset, split, train);
}

TEST(Trainer, SeenItemsOutAndShiftedWindowsLearnAndSurviveResume) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  TrainConfig train = attention_learning_config();
  train.exclude_seen = true;
  train.shift_windows = true;
  DualEncoder model(attention_config_for(dataset));
  model.initialize(1);
  expect_learns(model, dataset, split, train);

  // The shifts come from the epoch's saved random state: a run stopped in epoch 2 and resumed
  // lays out the same windows.
  train.epochs = 2;
  auto dir = testing::scratch_dir("shifted_resume");
  DualEncoder straight(attention_config_for(dataset));
  straight.initialize(3);
  auto full = quiet();
  full.checkpoint = (dir / "straight.ckpt").string();
  full.model_out = (dir / "straight.pkrec").string();
  const auto straight_result = Trainer(straight, dataset, split, train).run(full);
  auto options = quiet();
  options.checkpoint = (dir / "resumed.ckpt").string();
  options.model_out = (dir / "resumed.pkrec").string();
  DualEncoder resumed(attention_config_for(dataset));
  const size_t per_epoch = straight_result.batches / 2;
  EXPECT_FALSE(
      interrupt_and_resume(dataset, split, train, options, 3, per_epoch + 2, resumed).interrupted);
  EXPECT_EQ(weights(resumed), weights(straight));
}

TEST(Trainer, AttentionDropoutIsReproducibleAcrossRunsAndThreadCounts) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  std::vector<std::vector<std::vector<float>>> runs;
  for (int threads : {1, 2, 2}) {
    DualEncoder model(attention_config_for(dataset));
    model.initialize(7);
    TrainConfig train;
    train.epochs = 1;
    train.threads = threads;
    train.causal = true;
    Trainer(model, dataset, split, train).run(quiet());
    runs.push_back(weights(model));
  }
  EXPECT_EQ(runs[1], runs[2]);
  // Dropout masks follow each sequence's place in the batch, not the thread that ran it: one
  // thread and two differ only in the order gradients are summed.
  for (size_t p = 0; p < runs[0].size(); ++p) {
    for (size_t i = 0; i < runs[0][p].size(); ++i) {
      ASSERT_NEAR(runs[0][p][i], runs[1][p][i], 1e-3) << p << " " << i;
    }
  }
}

TEST(Trainer, WallClockBudgetEndsTrainingKeepingTheBestEpoch) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(config_for(dataset));
  model.initialize(1);
  TrainConfig train;
  train.threads = 2;
  train.max_minutes = 1e-9;  // spent before the first batch: one (empty) epoch, validated
  auto result = Trainer(model, dataset, split, train).run(quiet());
  EXPECT_TRUE(result.out_of_time);
  EXPECT_FALSE(result.early_stopped);
  ASSERT_EQ(result.epochs.size(), 1u);
  EXPECT_EQ(result.best_epoch, 1);
}

TEST(Trainer, SampledSoftmaxLearnsClearlyBetterThanPopularity) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(config_for(dataset));
  model.initialize(1);
  TrainConfig train = learning_config();
  train.loss = LossKind::kSampled;
  train.negatives = 64;  // of the synthetic catalog's items
  expect_learns(model, dataset, split, train);
}

TEST(Trainer, SampledSoftmaxIsDeterministicAcrossThreadCounts) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  std::vector<std::vector<std::vector<float>>> runs;
  for (int threads : {1, 2, 2}) {
    DualEncoder model(config_for(dataset));
    model.initialize(7);
    TrainConfig train;
    train.epochs = 1;
    train.threads = threads;
    train.loss = LossKind::kSampled;
    train.negatives = 32;
    Trainer(model, dataset, split, train).run(quiet());
    runs.push_back(weights(model));
  }
  EXPECT_EQ(runs[1], runs[2]);
  // Threads sum the gradient in a different order, so 1 vs 2 threads agree closely, not exactly.
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t p = 0; p < runs[0].size(); ++p) {
    for (size_t i = 0; i < runs[0][p].size(); ++i) {
      ASSERT_NEAR(runs[0][p][i], runs[1][p][i], 1e-3) << p << " " << i;
    }
  }
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
  DualEncoder resumed(config_for(dataset));
  auto result = interrupt_and_resume(dataset, split, train, options, 3, 7, resumed);  // in epoch 1
  EXPECT_FALSE(result.interrupted);
  EXPECT_EQ(weights(resumed), weights(straight));
}

TEST(Trainer, PlateauDecayLowersTheRateAndSurvivesResume) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto dir = testing::scratch_dir("plateau");
  TrainConfig train;
  train.epochs = 8;
  train.threads = 2;
  train.patience = 8;
  train.learning_rate = 0.05f;  // large enough that validation stalls within 8 epochs
  train.lr_decay_patience = 1;

  DualEncoder straight(config_for(dataset));
  straight.initialize(5);
  auto straight_result = Trainer(straight, dataset, split, train).run(quiet());
  ASSERT_LT(straight_result.lr_scale, 1.0f) << "no epoch without gain: the test needs one";

  auto options = quiet();
  options.checkpoint = (dir / "plateau.ckpt").string();
  options.model_out = (dir / "plateau.pkrec").string();
  // Stop inside the last epoch, after the decays, and resume from there.
  const size_t per_epoch = (split.train.size() + train.batch_size - 1) / train.batch_size;
  DualEncoder resumed(config_for(dataset));
  auto result = interrupt_and_resume(dataset, split, train, options, 5, per_epoch * 7 + 1, resumed);
  EXPECT_EQ(result.lr_scale, straight_result.lr_scale);
  EXPECT_EQ(weights(resumed), weights(straight));
}

TEST(Trainer, ScheduleCoolsTheRateAndEndsTrainingAndSurvivesResume) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  auto dir = testing::scratch_dir("schedule");
  TrainConfig train;
  train.epochs = 10;
  train.threads = 2;
  train.patience = 10;
  train.schedule_epochs = 3;  // cooldown over the last 30%: from 2.1 epochs on

  DualEncoder scheduled(config_for(dataset));
  scheduled.initialize(5);
  auto result = Trainer(scheduled, dataset, split, train).run(quiet());
  EXPECT_TRUE(result.schedule_done);
  EXPECT_FALSE(result.early_stopped);
  ASSERT_EQ(result.epochs.size(), 3u);

  // The same three epochs at a constant rate end elsewhere: the cooldown changed the steps.
  TrainConfig constant = train;
  constant.schedule_epochs = 0;
  constant.epochs = 3;
  DualEncoder flat(config_for(dataset));
  flat.initialize(5);
  auto flat_result = Trainer(flat, dataset, split, constant).run(quiet());
  ASSERT_EQ(flat_result.epochs.size(), 3u);
  EXPECT_EQ(flat_result.epochs[1].loss, result.epochs[1].loss);  // before the cooldown: equal
  EXPECT_NE(weights(flat), weights(scheduled));

  // Interrupted inside the cooldown and resumed: the same model.
  auto options = quiet();
  options.checkpoint = (dir / "schedule.ckpt").string();
  options.model_out = (dir / "schedule.pkrec").string();
  const size_t per_epoch = (split.train.size() + train.batch_size - 1) / train.batch_size;
  DualEncoder resumed(config_for(dataset));
  auto resumed_result = interrupt_and_resume(dataset, split, train, options, 5,
                                             per_epoch * 2 + per_epoch / 2, resumed);
  EXPECT_TRUE(resumed_result.schedule_done);
  EXPECT_EQ(weights(resumed), weights(scheduled));
}

TEST(Trainer, ScheduleRunsToItsEndWhateverThePatience) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  TrainConfig train;
  train.epochs = 20;
  train.threads = 2;
  train.patience = 1;
  train.learning_rate = 0.05f;  // large enough that validation stalls within 8 epochs
  DualEncoder unscheduled(config_for(dataset));
  unscheduled.initialize(5);
  auto stopped = Trainer(unscheduled, dataset, split, train).run(quiet());
  ASSERT_TRUE(stopped.early_stopped);
  ASSERT_LT(stopped.epochs.size(), 8u) << "validation never stalled: the test needs it to";
  train.schedule_epochs = 8;
  DualEncoder scheduled(config_for(dataset));
  scheduled.initialize(5);
  auto result = Trainer(scheduled, dataset, split, train).run(quiet());
  EXPECT_TRUE(result.schedule_done);
  EXPECT_EQ(result.epochs.size(), 8u);
}

TEST(Trainer, BudgetPlansTheEpochsThatFitWithAMargin) {
  const auto& dataset = synthetic();
  auto split = leave_one_out_split(dataset);
  DualEncoder model(config_for(dataset));
  TrainConfig train;
  train.max_minutes = 1;
  Trainer trainer(model, dataset, split, train);
  // 10 s per epoch; 90% of 60 s leaves 34 s after 20 s: 3 more epochs.
  EXPECT_EQ(trainer.plan_schedule(2, 2, 20.0), 5);
  // Over budget already: at least one more epoch, for the cooldown.
  EXPECT_EQ(trainer.plan_schedule(1, 1, 100.0), 2);
  // Never beyond the epoch cap.
  train.epochs = 4;
  EXPECT_EQ(Trainer(model, dataset, split, train).plan_schedule(1, 1, 1.0), 4);
}

}  // namespace pocketrec
