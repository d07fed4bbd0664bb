#pragma once
// Full-ranking evaluation: every case's target is ranked against the whole catalog, with the items
// already in the case's history excluded (unless keep_seen). Any scorer can be evaluated this way:
// the trained model, or the popularity and Markov baselines.
#include <functional>
#include <span>

#include "core/thread_pool.hpp"
#include "data/dataset.hpp"
#include "data/split.hpp"
#include "eval/metrics.hpp"
#include "model/dual_encoder.hpp"
#include "nn/matrix.hpp"

namespace pocketrec {

// Fills scores[i, j - 1] for case i and item j (1..N). Called concurrently from several threads.
using CaseScorer = std::function<void(std::span<const Position> cases, nn::Matrix& scores)>;

struct EvalOptions {
  bool exclude_seen = true;
  size_t chunk = 256;  // cases scored at once
};

RankingMetrics evaluate(const CaseScorer& scorer, const Dataset& dataset,
                        std::span<const Position> cases, const EvalOptions& options,
                        ThreadPool& pool);
// The metrics of each chunk of options.chunk cases whose index c has c % parts == part (the rest
// stay empty): merged in chunk order, all parts' chunks give evaluate()'s result exactly. For
// evaluation split across processes.
std::vector<RankingMetrics> evaluate_chunks(const CaseScorer& scorer, const Dataset& dataset,
                                            std::span<const Position> cases,
                                            const EvalOptions& options, ThreadPool& pool, int part,
                                            int parts);

// Rank of `target` (1..N) in `scores` (item j at j - 1) among items not marked in `excluded`
// (excluded[j] != 0 means skip), ties counted against the target. Also fills `top` with the best
// items in order. Exposed for tests.
size_t rank_target(std::span<const float> scores, uint32_t target,
                   std::span<const uint8_t> excluded, std::span<uint32_t> top);

CaseScorer model_scorer(const DualEncoder& model, const Dataset& dataset);

}  // namespace pocketrec
