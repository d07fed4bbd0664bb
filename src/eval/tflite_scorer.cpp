#include "eval/tflite_scorer.hpp"

#include <limits>

namespace pocketrec {

CaseScorer tflite_scorer(std::shared_ptr<const Recommender> recommender, const Dataset& dataset) {
  return [recommender, &dataset](std::span<const Position> cases, nn::Matrix& scores) {
    const size_t items = dataset.catalog.size();
    scores.resize(static_cast<int>(cases.size()), static_cast<int>(items));
    Session session(recommender);
    const ModelSummary& summary = recommender->summary();
    std::vector<uint32_t> history;
    std::vector<Result> top;
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& timeline = dataset.timelines[cases[i].timeline];
      history.clear();
      for (size_t p = 0; p < cases[i].pos; ++p) history.push_back(timeline.items[p] - 1);
      float* row = scores.row(static_cast<int>(i));
      if (summary.fast_path) {
        session.score_all(history, std::span<float>(row, items));
        continue;
      }
      std::fill(row, row + items, std::numeric_limits<float>::lowest());
      Query q;
      q.history = history;
      q.k = summary.graph_top_k;
      q.exclude_history = false;
      session.recommend(q, top);
      for (const auto& r : top) row[r.item] = r.score;
    }
  };
}

}  // namespace pocketrec
