#pragma once
// Between full trainings: a trained model carried over to a newer log. Its catalog grows by the
// log's new items and, on request, loses the items the log no longer has; every other parameter
// is kept, so training continues where the old model stopped (`train --init`).
#include <memory>

#include "data/catalog.hpp"
#include "model/dual_encoder.hpp"

namespace pocketrec {

struct CatalogChange {
  size_t kept = 0;      // items of the old catalog that the new log has
  size_t added = 0;     // items new to the model
  size_t vanished = 0;  // items of the old catalog that the new log lacks
  bool vanished_dropped = false;
};

struct GrownModel {
  std::unique_ptr<DualEncoder> model;
  Catalog catalog;  // old items first (in their old order), then the new ones in `fresh` order
  CatalogChange change;
};

// Re-indexes `model` (trained on `catalog`) for a log whose catalog is `fresh`. A kept item keeps
// its rows (input embedding, label vector, bias); an added item's rows start as the mean of the
// kept items that share a genre with it, or of all kept items when none does, so it scores like
// its peers until the new log trains it. Item metadata and counts come from `fresh`. Models with
// side features are refused: their feature vocabularies are bound to the old log.
GrownModel grow_model(const DualEncoder& model, const Catalog& catalog, const Catalog& fresh,
                      bool drop_vanished);

}  // namespace pocketrec
