#pragma once
// Evaluates a .tflite model through pocketrec's runtime with the same full-ranking protocol as
// trained models. Dual-encoder graphs (the fast path) score every item exactly; other graphs give
// their top-K, and items outside it rank last, tied.
#include <memory>

#include "eval/evaluator.hpp"
#include "pocketrec/recommender.hpp"

namespace pocketrec {

// The dataset must be aligned to the recommender's catalog (dataset item j = item j - 1).
CaseScorer tflite_scorer(std::shared_ptr<const Recommender> recommender, const Dataset& dataset);

}  // namespace pocketrec
