#include "train/tune.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/text.hpp"
#include "train/trainer.hpp"

namespace pocketrec {
namespace {

template <typename T>
T pick(std::mt19937_64& rng, const std::vector<T>& choices) {
  return choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)];
}

}  // namespace

Trial sample_trial(int index, const ModelConfig& start_model, const TrainConfig& start_train,
                   uint64_t seed) {
  Trial trial;
  trial.index = index;
  trial.model = start_model;
  trial.train = start_train;
  if (index == 0) return trial;
  // One generator per trial: trial k is the same whatever the trial count.
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index));
  auto& m = trial.model;
  auto& t = trial.train;
  t.learning_rate = static_cast<float>(
      std::exp(std::uniform_real_distribution<double>(std::log(3e-4), std::log(1e-2))(rng)));
  t.batch_size = pick<int>(rng, {64, 128, 256});
  // Decoupled decay shrinks by lr * decay per step: below 0.01 it does nothing at these rates,
  // and 1.0 is what sparse logs needed (docs/BENCHMARKS.md, weight decay on sparse logs).
  t.weight_decay = pick<float>(rng, {0.0f, 0.0f, 0.01f, 0.1f, 1.0f});
  t.warmup_steps = 0;
  if (m.encoder == EncoderKind::kAttention) {
    m.context_length = pick<int>(rng, {20, 50, 100, 200});
    m.embedding_dim = pick<int>(rng, {32, 64, 64});
    const float rate = pick<float>(rng, {0.1f, 0.2f, 0.3f, 0.5f});
    m.attention.embedding_dropout = m.attention.attention_dropout = m.attention.residual_dropout =
        rate;
    m.attention.blocks = pick<int>(rng, {1, 2, 2, 3});
    m.attention.heads = 1;
    t.warmup_steps = pick<int>(rng, {0, 100});
  } else {
    m.context_length = pick<int>(rng, {3, 5, 10, 20});
    const int dim = pick<int>(rng, {16, 32, 64});
    m.embedding_dim = dim;
    if (m.output_dim > 0) m.output_dim = dim;
  }
  if (m.tie_embeddings && m.output_dim > 0) m.output_dim = m.embedding_dim;
  return trial;
}

TuneResult tune(const Dataset& dataset, const Split& split, const ModelConfig& start_model,
                const TrainConfig& start_train, const TuneOptions& options,
                const std::function<void(const Trial&)>& on_trial) {
  if (options.trials < 1) throw Error("tune: --trials must be at least 1");
  if (!(options.budget_minutes > 0)) throw Error("tune: the budget must be positive");
  if (split.valid.empty()) throw Error("tune: the split has no validation cases to judge by");
  TuneResult result;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < options.trials; ++i) {
    Trial trial = sample_trial(i, start_model, start_train, options.seed);
    // Each trial gets an equal share of what is left, so an early stop leaves more for the rest.
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60.0;
    const double left = options.budget_minutes - spent;
    if (left <= 0) break;
    trial.train.max_minutes = left / static_cast<double>(options.trials - i);
    trial.model.validate();
    auto model = std::make_unique<DualEncoder>(trial.model);
    model->initialize(trial.train.seed);
    TrainOptions train_options;
    train_options.progress = options.progress;
    const auto trial_start = std::chrono::steady_clock::now();
    TrainResult trained = Trainer(*model, dataset, split, trial.train).run(train_options);
    trial.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - trial_start).count();
    if (trained.interrupted) break;
    trial.epochs = static_cast<int>(trained.epochs.size());
    trial.best_epoch = trained.best_epoch;
    trial.valid_ndcg10 = trained.best_ndcg10;
    for (const auto& e : trained.epochs) {
      if (e.epoch == trained.best_epoch) trial.valid_hr10 = e.valid_hr10;
    }
    result.trials.push_back(trial);
    if (result.best < 0 || trial.valid_ndcg10 > result.trials[result.best].valid_ndcg10) {
      result.best = static_cast<int>(result.trials.size()) - 1;
      result.model = std::move(model);
    }
    if (on_trial) on_trial(result.trials.back());
  }
  return result;
}

double parse_budget_minutes(const std::string& text) {
  std::string_view t = trim(text);
  double scale = 1;
  if (!t.empty() && (t.back() == 's' || t.back() == 'm' || t.back() == 'h')) {
    scale = t.back() == 's' ? 1.0 / 60 : t.back() == 'h' ? 60 : 1;
    t.remove_suffix(1);
  }
  char* end = nullptr;
  const std::string number(t);
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(value > 0) ||
      !std::isfinite(value)) {
    throw Error("--budget '" + text + "': expected a duration such as 30m, 90s or 2h");
  }
  return value * scale;
}

}  // namespace pocketrec
