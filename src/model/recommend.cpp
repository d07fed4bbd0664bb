#include "model/recommend.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "data/context_window.hpp"
#include "model/feature_inputs.hpp"
#include "train/softmax_loss.hpp"

namespace pocketrec {

std::vector<Recommendation> recommend(const DualEncoder& model, const RecommendRequest& request) {
  const auto& config = model.config();
  std::vector<int32_t> context(config.context_length);
  fill_context(request.history, config.layout, context);
  EncoderWorkspace ws;
  FeatureBatch features;
  if (config.has_features()) {
    if (!request.catalog) throw Error("recommend: a model with side features needs its catalog");
    FeatureExtractor extractor(config, *request.catalog, {});
    Timeline timeline;
    timeline.items = request.history;
    extractor.resize(features, 1);
    extractor.fill(timeline, timeline.items.size(), 0, features);
    model.encode(features, ws);
  } else {
    model.encode(context.data(), 1, ws);
  }
  nn::Matrix scores;
  score_items(ws.user(), model.label_table(), model.label_bias(), scores);
  std::vector<uint8_t> excluded(config.items + 1, 0);
  if (request.exclude_history) {
    for (uint32_t item : request.history) excluded[item] = 1;
  }
  std::vector<Recommendation> all;
  for (int j = 1; j <= config.items; ++j) {
    float s = scores.at(0, j - 1);
    if (!excluded[j] && std::isfinite(s)) all.push_back({static_cast<uint32_t>(j), s});
  }
  size_t k = std::min<size_t>(std::max(request.k, 0), all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(), [](const auto& a, const auto& b) {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  });
  all.resize(k);
  return all;
}

std::vector<uint32_t> resolve_history(const Catalog& catalog, const std::vector<std::string>& ids,
                                      std::vector<std::string>& unknown) {
  std::vector<uint32_t> history;
  for (const auto& id : ids) {
    if (auto index = catalog.find(id)) {
      history.push_back(*index);
    } else {
      unknown.push_back(id);
    }
  }
  return history;
}

}  // namespace pocketrec
