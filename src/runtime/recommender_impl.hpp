#pragma once
// Internals of pocketrec::Recommender shared by the session and batch code.
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "pocketrec/recommender.hpp"
#include "runtime/fused_encoder.hpp"
#include "runtime/item_table.hpp"
#include "runtime/score_table.hpp"
#include "tflite/model.hpp"

namespace pocketrec {

struct Recommender::Impl {
  std::shared_ptr<const tfl::Model> model;
  ModelSummary summary;
  runtime::ItemTable items;
  // Per item, its id in the graph; empty when that is the item's index + 1 (every pocketrec
  // export with a catalog in id order), which saves 4 bytes an item.
  std::vector<int32_t> graph_ids;
  int32_t graph_id(uint32_t item) const {
    return graph_ids.empty() ? static_cast<int32_t>(item) + 1 : graph_ids[item];
  }
  // Graph path only: (graph id, item) sorted by graph id, to read the graph's top-K ids.
  std::vector<std::pair<int32_t, uint32_t>> item_of_graph_id;
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
