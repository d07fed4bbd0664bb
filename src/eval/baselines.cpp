#include "eval/baselines.hpp"

#include <algorithm>
#include <map>

namespace pocketrec {

std::vector<float> training_popularity(const Dataset& dataset, const Split& split) {
  std::vector<float> counts(dataset.catalog.size() + 1, 0.0f);
  std::vector<uint8_t> first_counted(dataset.timelines.size(), 0);
  for (const auto& p : split.train) {
    const auto& items = dataset.timelines[p.timeline].items;
    counts[items[p.pos]] += 1;
    if (!first_counted[p.timeline]) {
      counts[items[0]] += 1;
      first_counted[p.timeline] = 1;
    }
  }
  return counts;
}

CaseScorer popularity_scorer(const std::vector<float>& popularity) {
  return [&popularity](std::span<const Position> cases, nn::Matrix& scores) {
    const int items = static_cast<int>(popularity.size()) - 1;
    scores.resize(static_cast<int>(cases.size()), items);
    for (int i = 0; i < scores.rows; ++i) {
      std::copy(popularity.begin() + 1, popularity.end(), scores.row(i));
    }
  };
}

MarkovModel train_markov(const Dataset& dataset, const Split& split) {
  MarkovModel model;
  model.popularity = training_popularity(dataset, split);
  std::vector<std::map<uint32_t, float>> counts(dataset.catalog.size() + 1);
  for (const auto& p : split.train) {
    const auto& items = dataset.timelines[p.timeline].items;
    counts[items[p.pos - 1]][items[p.pos]] += 1;
  }
  model.next.resize(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    model.next[i].assign(counts[i].begin(), counts[i].end());
  }
  return model;
}

CaseScorer markov_scorer(const MarkovModel& model, const Dataset& dataset) {
  return [&model, &dataset](std::span<const Position> cases, nn::Matrix& scores) {
    const int items = static_cast<int>(model.popularity.size()) - 1;
    float top = *std::max_element(model.popularity.begin(), model.popularity.end()) + 1.0f;
    scores.resize(static_cast<int>(cases.size()), items);
    for (int i = 0; i < scores.rows; ++i) {
      float* row = scores.row(i);
      for (int j = 0; j < items; ++j) row[j] = model.popularity[j + 1] / top;
      const auto& timeline = dataset.timelines[cases[i].timeline];
      uint32_t last = timeline.items[cases[i].pos - 1];
      for (const auto& [next, count] : model.next[last]) row[next - 1] += count;
    }
  };
}

}  // namespace pocketrec
