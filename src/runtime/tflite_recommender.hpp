#pragma once
// Recommendations from a .tflite model: pocketrec's exports (their metadata carries the catalog,
// the id mapping and the history layout) and other dual-encoder graphs with one int32 history
// input and top-K id/score outputs, such as the reference's starter models (raw integer ids,
// oldest-first right-padded histories; give a catalog to get titles and skip non-items).
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tflite/interpreter.hpp"
#include "tflite/pocketrec_metadata.hpp"

namespace pocketrec::runtime {

struct TfliteResult {
  std::string id;
  float score = 0.0f;
  const tfl::CatalogEntry* item = nullptr;  // null when the model has no catalog
};

class TfliteRecommender {
 public:
  // `catalog` replaces or supplies the catalog (e.g. the Android app's sorted_movie_vocab.json).
  explicit TfliteRecommender(std::shared_ptr<const tfl::Model> model,
                             std::optional<std::vector<tfl::CatalogEntry>> catalog = std::nullopt);

  // History: external ids, oldest first. Unknown ids are reported in `unknown` and skipped.
  std::vector<TfliteResult> recommend(const std::vector<std::string>& history, int k,
                                      bool exclude_history, std::vector<std::string>* unknown);

  bool has_pocketrec_metadata() const { return info_.has_value(); }
  int context_length() const { return context_length_; }
  bool newest_last() const { return newest_last_; }
  int model_top_k() const;
  const std::vector<tfl::CatalogEntry>& catalog() const { return catalog_; }
  tfl::Interpreter& interpreter() { return interpreter_; }
  // The graph id of an external id, or -1; and back ("" for ids that are not items).
  int32_t graph_id(const std::string& external) const;
  std::string external_id(int32_t graph_id) const;
  // Output positions of the top-K ids and scores.
  int ids_output() const { return ids_output_; }
  int scores_output() const { return scores_output_; }

 private:
  std::shared_ptr<const tfl::Model> model_;
  tfl::Interpreter interpreter_;
  std::optional<tfl::ModelInfo> info_;
  std::vector<tfl::CatalogEntry> catalog_;
  std::unordered_map<std::string, size_t> by_id_;  // external id -> catalog position
  bool rows_are_ids_ = true;  // graph id = integer external id; else graph id = catalog row + 1
  bool newest_last_ = false;
  int context_length_ = 0;
  int input_ = 0, ids_output_ = -1, scores_output_ = -1;
};

}  // namespace pocketrec::runtime
