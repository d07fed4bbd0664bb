#pragma once
// The train -> evaluate sequence shared by `train` and `quickstart`.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "eval/evaluator.hpp"
#include "eval/metrics.hpp"
#include "model/dual_encoder.hpp"
#include "train/trainer.hpp"

namespace pocketrec::cli {

struct TrainedModel {
  std::unique_ptr<DualEncoder> model;
  TrainResult result;
  double seconds = 0;
};

// Trains `initial` when given (fine-tuning: its configuration stands), else a new model.
TrainedModel train_model(const Dataset& dataset, const Split& split, ModelConfig model_config,
                         const TrainConfig& train_config, const TrainOptions& options,
                         std::unique_ptr<DualEncoder> initial = nullptr);

// The test metrics as JSON, and printed as a table when `print`.
nlohmann::json report_test_metrics(const RankingMetrics& metrics, const Dataset& dataset,
                                   const Split& split, bool exclude_seen, double seconds,
                                   bool print);
// Evaluates the model (and, with baselines, popularity and Markov) on the split's test cases;
// prints the tables to stdout and returns everything as JSON.
nlohmann::json evaluate_and_print(const DualEncoder& model, const Dataset& dataset,
                                  const Split& split, bool exclude_seen, bool baselines,
                                  int threads, bool print);
nlohmann::json evaluate_and_print(const CaseScorer& scorer, const Dataset& dataset,
                                  const Split& split, bool exclude_seen, bool baselines,
                                  int threads, bool print);

}  // namespace pocketrec::cli
