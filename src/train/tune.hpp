#pragma once
// Hyperparameter search: random trials around a starting configuration, each trained with early
// stopping on validation NDCG@10 (never the test split) within its share of a wall-clock budget.
// Trial 0 is the starting configuration itself, so the search can only improve on it. The same
// seed gives the same trials.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "model/dual_encoder.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

struct TuneOptions {
  double budget_minutes = 30;
  int trials = 8;
  uint64_t seed = 1;
  bool progress = false;  // each trial's epoch progress bars
};

struct Trial {
  int index = 0;
  ModelConfig model;
  TrainConfig train;
  double valid_hr10 = 0, valid_ndcg10 = 0;
  int epochs = 0, best_epoch = 0;
  double seconds = 0;
};

struct TuneResult {
  std::vector<Trial> trials;
  int best = -1;                       // index into trials
  std::unique_ptr<DualEncoder> model;  // the best trial's trained model
};

// The trial's configuration: the start for index 0, otherwise a random draw of the learning rate
// (log-uniform 3e-4..1e-2), batch, weight decay and, per encoder, L, width and dropout.
Trial sample_trial(int index, const ModelConfig& start_model, const TrainConfig& start_train,
                   uint64_t seed);

TuneResult tune(const Dataset& dataset, const Split& split, const ModelConfig& start_model,
                const TrainConfig& start_train, const TuneOptions& options,
                const std::function<void(const Trial&)>& on_trial);

// "30m", "90s", "2h", "45" (minutes) -> minutes.
double parse_budget_minutes(const std::string& text);

}  // namespace pocketrec
