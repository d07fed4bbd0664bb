#include "runtime/tflite_recommender.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "core/error.hpp"

namespace pocketrec::runtime {
namespace {

std::optional<int64_t> to_integer(const std::string& s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

TfliteRecommender::TfliteRecommender(std::shared_ptr<const tfl::Model> model,
                                     std::optional<std::vector<tfl::CatalogEntry>> catalog)
    : model_(std::move(model)), interpreter_(model_) {
  const std::string& origin = model_->origin();
  if (auto text = model_->metadata(tfl::kInfoMetadata)) {
    info_ = tfl::parse_model_info(*text, origin);
    rows_are_ids_ = info_->external_ids;
    newest_last_ = info_->layout == "newest-last";
  }
  if (catalog) {
    catalog_ = std::move(*catalog);
  } else if (auto text = model_->metadata(tfl::kCatalogMetadata)) {
    catalog_ = tfl::parse_catalog(*text, origin);
  }
  for (size_t i = 0; i < catalog_.size(); ++i) by_id_.emplace(catalog_[i].id, i);
  if (!rows_are_ids_ && catalog_.empty()) {
    throw Error(origin + ": the model numbers items by catalog row but has no catalog");
  }

  // One int32 history input; outputs bound by name, else by dtype, never by position.
  if (interpreter_.input_count() != 1 || interpreter_.input(0).type != tfl::DType::kInt32 ||
      interpreter_.input(0).shape.elements() < 1) {
    throw Error(origin + ": expected one int32 history input");
  }
  context_length_ = static_cast<int>(interpreter_.input(0).shape.elements());
  ids_output_ = interpreter_.find_output("top_prediction_ids");
  scores_output_ = interpreter_.find_output("top_prediction_scores");
  for (size_t i = 0; i < interpreter_.output_count(); ++i) {
    const auto& t = interpreter_.output(i);
    if (ids_output_ < 0 && t.type == tfl::DType::kInt32) ids_output_ = static_cast<int>(i);
    if (scores_output_ < 0 && t.type == tfl::DType::kFloat32) scores_output_ = static_cast<int>(i);
  }
  if (ids_output_ < 0 || scores_output_ < 0 ||
      interpreter_.output(ids_output_).elements() !=
          interpreter_.output(scores_output_).elements()) {
    throw Error(origin + ": expected top-K outputs: int32 ids and float32 scores of one length");
  }
}

int TfliteRecommender::model_top_k() const {
  return static_cast<int>(interpreter_.output(ids_output_).elements());
}

int32_t TfliteRecommender::graph_id(const std::string& external) const {
  if (!rows_are_ids_) {
    auto it = by_id_.find(external);
    return it == by_id_.end() ? -1 : static_cast<int32_t>(it->second + 1);
  }
  if (!catalog_.empty() && !by_id_.count(external)) return -1;
  auto v = to_integer(external);
  if (!v || *v <= 0 || *v > INT32_MAX) return -1;
  return static_cast<int32_t>(*v);
}

std::string TfliteRecommender::external_id(int32_t graph_id) const {
  if (!rows_are_ids_) {
    return graph_id >= 1 && static_cast<size_t>(graph_id) <= catalog_.size()
               ? catalog_[graph_id - 1].id
               : std::string();
  }
  return std::to_string(graph_id);
}

std::vector<TfliteResult> TfliteRecommender::recommend(const std::vector<std::string>& history,
                                                       int k, bool exclude_history,
                                                       std::vector<std::string>* unknown) {
  std::vector<int32_t> ids;
  for (const std::string& id : history) {
    int32_t g = graph_id(id);
    if (g < 0) {
      if (unknown) unknown->push_back(id);
      continue;
    }
    ids.push_back(g);
  }
  // The newest L items; newest-last models are left-padded, the reference's right-padded.
  const size_t length = static_cast<size_t>(context_length_);
  if (ids.size() > length) ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(length));
  int32_t* input = interpreter_.input(0).as<int32_t>();
  std::fill(input, input + length, 0);
  std::copy(ids.begin(), ids.end(), input + (newest_last_ ? length - ids.size() : 0));
  interpreter_.reset_variables();
  interpreter_.invoke();

  std::unordered_set<int32_t> seen(ids.begin(), ids.end());
  const auto& out_ids = interpreter_.output(ids_output_);
  const auto& out_scores = interpreter_.output(scores_output_);
  std::vector<TfliteResult> results;
  for (int64_t i = 0; i < out_ids.elements() && static_cast<int>(results.size()) < k; ++i) {
    int32_t g = out_ids.as<int32_t>()[i];
    if (g <= 0 || (exclude_history && seen.count(g))) continue;
    TfliteResult r;
    r.id = external_id(g);
    if (r.id.empty()) continue;
    if (!catalog_.empty()) {
      auto it = by_id_.find(r.id);
      if (it == by_id_.end()) continue;  // not an item (the starter models return such ids)
      r.item = &catalog_[it->second];
    }
    r.score = out_scores.as<float>()[i];
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace pocketrec::runtime
