#include "eval/tflite_scorer.hpp"

#include <limits>
#include <unordered_map>

#include "data/context_window.hpp"

namespace pocketrec {

CaseScorer tflite_scorer(std::shared_ptr<const tfl::Model> model,
                         const runtime::TfliteRecommender& recommender, const Dataset& dataset) {
  const size_t items = dataset.catalog.size();
  auto to_graph = std::make_shared<std::vector<int32_t>>(items + 1, 0);
  auto to_item = std::make_shared<std::unordered_map<int32_t, uint32_t>>();
  for (uint32_t j = 1; j <= items; ++j) {
    int32_t g = recommender.graph_id(dataset.catalog.item(j).id);
    (*to_graph)[j] = g > 0 ? g : 0;
    if (g > 0) (*to_item)[g] = j;
  }
  const HistoryLayout layout =
      recommender.newest_last() ? HistoryLayout::kNewestLast : HistoryLayout::kOldestFirst;
  const int length = recommender.context_length();
  const int ids_output = recommender.ids_output(), scores_output = recommender.scores_output();
  return [=, &dataset](std::span<const Position> cases, nn::Matrix& scores) {
    scores.resize(static_cast<int>(cases.size()), static_cast<int>(items));
    tfl::Interpreter interp(model);
    std::vector<int32_t> context(length);
    std::vector<uint32_t> history;
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& timeline = dataset.timelines[cases[i].timeline];
      history.clear();
      for (size_t p = 0; p < cases[i].pos; ++p) {
        if ((*to_graph)[timeline.items[p]] > 0) history.push_back(timeline.items[p]);
      }
      fill_context(history, layout, context);
      int32_t* input = interp.input(0).as<int32_t>();
      for (int t = 0; t < length; ++t) input[t] = context[t] ? (*to_graph)[context[t]] : 0;
      interp.reset_variables();
      interp.invoke();
      float* row = scores.row(static_cast<int>(i));
      std::fill(row, row + items, std::numeric_limits<float>::lowest());
      const auto& ids = interp.output(ids_output);
      const float* values = interp.output(scores_output).as<float>();
      for (int64_t r = 0; r < ids.elements(); ++r) {
        auto it = to_item->find(ids.as<int32_t>()[r]);
        if (it != to_item->end()) row[it->second - 1] = values[r];
      }
    }
  };
}

}  // namespace pocketrec
