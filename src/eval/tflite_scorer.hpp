#pragma once
// Evaluates a .tflite model (an export, or any graph TfliteRecommender accepts) with the same
// full-ranking protocol as trained models: each case's history goes through the graph, and its
// top-K ids and scores become the score row (items outside the top K rank last, tied).
#include <memory>

#include "eval/evaluator.hpp"
#include "runtime/tflite_recommender.hpp"

namespace pocketrec {

// The dataset must be aligned to `recommender`'s catalog (dataset item j = catalog entry j - 1).
// The recommender only supplies the id mapping and layout; every call runs its own interpreter.
CaseScorer tflite_scorer(std::shared_ptr<const tfl::Model> model,
                         const runtime::TfliteRecommender& recommender, const Dataset& dataset);

}  // namespace pocketrec
