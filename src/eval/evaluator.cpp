#include "eval/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>

#include "data/context_window.hpp"
#include "model/feature_inputs.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {

size_t rank_target(std::span<const float> scores, uint32_t target,
                   std::span<const uint8_t> excluded, std::span<uint32_t> top) {
  // NaN ranks last, like an item with no score.
  auto score = [&](size_t j) {
    float s = scores[j - 1];
    return std::isnan(s) ? -std::numeric_limits<float>::infinity() : s;
  };
  const float target_score = scores[target - 1];
  const size_t items = scores.size();
  const size_t k = top.size();
  size_t above = 0, filled = 0;
  for (size_t j = 1; j <= items; ++j) {
    if (excluded[j] && j != target) continue;
    const float s = score(j);
    if (j != target && !(s < target_score)) ++above;
    // `top` stays sorted by score (k is tiny); its scores are read back from `scores`.
    if (k && (filled < k || s > score(top[k - 1]))) {
      size_t pos = std::min(filled, k - 1);
      while (pos > 0 && score(top[pos - 1]) < s) {
        top[pos] = top[pos - 1];
        --pos;
      }
      top[pos] = static_cast<uint32_t>(j);
      filled = std::min(filled + 1, k);
    }
  }
  if (std::isnan(target_score)) return items;
  return above;
}

RankingMetrics evaluate(const CaseScorer& scorer, const Dataset& dataset,
                        std::span<const Position> cases, const EvalOptions& options,
                        ThreadPool& pool) {
  RankingMetrics total(dataset.catalog.size());
  for (const auto& p : evaluate_chunks(scorer, dataset, cases, options, pool, 0, 1)) total.merge(p);
  return total;
}

std::vector<RankingMetrics> evaluate_chunks(const CaseScorer& scorer, const Dataset& dataset,
                                            std::span<const Position> cases,
                                            const EvalOptions& options, ThreadPool& pool, int part,
                                            int parts) {
  const size_t items = dataset.catalog.size();
  const size_t chunks = (cases.size() + options.chunk - 1) / options.chunk;
  std::vector<RankingMetrics> partial(chunks, RankingMetrics(items));
  const size_t mine = chunks > static_cast<size_t>(part)
                          ? (chunks - static_cast<size_t>(part) + parts - 1) / parts
                          : 0;
  pool.run(static_cast<int>(mine), [&](int m) {
    const size_t c = static_cast<size_t>(part) + static_cast<size_t>(m) * parts;
    size_t begin = c * options.chunk, end = std::min(cases.size(), begin + options.chunk);
    auto slice = cases.subspan(begin, end - begin);
    nn::Matrix scores;
    scorer(slice, scores);
    std::vector<uint8_t> excluded(items + 1, 0);
    std::vector<uint32_t> top(kCoverageK);
    for (size_t i = 0; i < slice.size(); ++i) {
      const auto& timeline = dataset.timelines[slice[i].timeline];
      auto history = std::span(timeline.items).first(slice[i].pos);
      if (options.exclude_seen) {
        for (uint32_t item : history) excluded[item] = 1;
      }
      size_t rank = rank_target(std::span<const float>(scores.row(static_cast<int>(i)), items),
                                timeline.items[slice[i].pos], excluded, top);
      size_t shown = std::min<size_t>(kCoverageK, items);
      partial[c].add(rank, std::span(top).first(shown));
      if (options.exclude_seen) {
        for (uint32_t item : history) excluded[item] = 0;
      }
    }
  });
  return partial;
}

CaseScorer model_scorer(const DualEncoder& model, const Dataset& dataset) {
  if (model.config().has_features()) {
    auto extractor = std::make_shared<FeatureExtractor>(model.config(), dataset.catalog,
                                                        dataset.user_attribute_names);
    return [&model, &dataset, extractor](std::span<const Position> cases, nn::Matrix& scores) {
      FeatureBatch features;
      extractor->resize(features, static_cast<int>(cases.size()));
      for (size_t i = 0; i < cases.size(); ++i) {
        extractor->fill(dataset.timelines[cases[i].timeline], cases[i].pos, static_cast<int>(i),
                        features);
      }
      EncoderWorkspace ws;
      model.encode(features, ws);
      score_items(ws.user(), model.label_table(), model.label_bias(), scores);
    };
  }
  return [&model, &dataset](std::span<const Position> cases, nn::Matrix& scores) {
    const int length = model.config().context_length;
    std::vector<int32_t> contexts(cases.size() * length);
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& timeline = dataset.timelines[cases[i].timeline];
      fill_context(std::span(timeline.items).first(cases[i].pos), model.config().layout,
                   std::span(contexts).subspan(i * length, length));
    }
    // One workspace per thread, reused across chunks: a fresh one per chunk costs page faults
    // on every buffer (a fifth of an L = 200 attention model's evaluation, perf).
    thread_local EncoderWorkspace ws;
    model.encode(contexts.data(), static_cast<int>(cases.size()), ws);
    score_items(ws.user(), model.label_table(), model.label_bias(), scores);
  };
}

}  // namespace pocketrec
