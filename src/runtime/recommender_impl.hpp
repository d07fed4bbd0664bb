#pragma once
// Internals of pocketrec::Recommender shared by the session and batch code.
#include <memory>
#include <optional>
#include <unordered_map>

#include "pocketrec/recommender.hpp"
#include "runtime/fused_encoder.hpp"
#include "runtime/score_table.hpp"
#include "tflite/model.hpp"

namespace pocketrec {

// Lets string_view keys find std::string entries without building a string (no allocation per
// looked-up id).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Recommender::Impl {
  std::shared_ptr<const tfl::Model> model;
  ModelSummary summary;
  std::vector<Item> items;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> by_id;
  std::vector<int32_t> graph_id;  // per item
  std::unordered_map<int32_t, uint32_t> item_of_graph_id;
  bool newest_last = false;
  // Graph path: the model's own top-K outputs.
  int ids_output = -1, scores_output = -1;
  // Fast path: run the graph up to the label scoring, then score with the table.
  int user_tensor = -1;
  runtime::ScoreTable table;  // rows = items
  // The encoder evaluated directly, when the graph has a shape pocketrec knows and the fused
  // encoder reproduced the interpreter's user vectors at load.
  std::unique_ptr<const runtime::FusedEncoder> fused;
  std::vector<float> inv_norm;  // per item, for similar()
};

// The internals of a Recommender, for the runtime's sessions and for tests of the fused encoders;
// apps see only the public API.
struct RecommenderAccess {
  static const Recommender::Impl& impl(const Recommender& r) { return *r.impl_; }
};

}  // namespace pocketrec
