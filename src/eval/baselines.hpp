#pragma once
// Reference points every model must beat, scored under the same protocol: global popularity and a
// first-order Markov chain of item transitions. Both count only training positions.
#include "data/dataset.hpp"
#include "data/split.hpp"
#include "eval/evaluator.hpp"

namespace pocketrec {

// Item counts over the training targets (and the first item of each timeline).
std::vector<float> training_popularity(const Dataset& dataset, const Split& split);
CaseScorer popularity_scorer(const std::vector<float>& popularity);

// Transition counts previous -> next over training positions; ties broken by popularity.
struct MarkovModel {
  std::vector<std::vector<std::pair<uint32_t, float>>> next;  // by previous item
  std::vector<float> popularity;
};
MarkovModel train_markov(const Dataset& dataset, const Split& split);
CaseScorer markov_scorer(const MarkovModel& model, const Dataset& dataset);

}  // namespace pocketrec
