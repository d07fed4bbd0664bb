#include "train/fine_tune.hpp"

#include <string_view>
#include <unordered_map>

#include "core/error.hpp"

namespace pocketrec {
namespace {

// Parameters with one row (or, for the bias, one column) per catalog index.
bool rows_are_items(std::string_view name) {
  return name == "context_embedding" || name == "label_embedding";
}
bool columns_are_items(std::string_view name) {
  return name == "label_bias";
}

// For each new index, the old indices whose mean starts its rows (one entry: copied as is).
std::vector<std::vector<uint32_t>> row_sources(const Catalog& grown,
                                               const std::vector<uint32_t>& old_index) {
  std::unordered_map<std::string, std::vector<uint32_t>> by_genre;
  std::vector<uint32_t> all_kept;
  for (uint32_t i = 1; i <= grown.size(); ++i) {
    if (!old_index[i]) continue;
    all_kept.push_back(old_index[i]);
    for (const auto& genre : grown.item(i).genres) by_genre[genre].push_back(old_index[i]);
  }
  std::vector<std::vector<uint32_t>> sources(grown.size() + 1);
  for (uint32_t i = 1; i <= grown.size(); ++i) {
    if (old_index[i]) {
      sources[i] = {old_index[i]};
      continue;
    }
    std::vector<bool> seen;
    for (const auto& genre : grown.item(i).genres) {
      auto it = by_genre.find(genre);
      if (it == by_genre.end()) continue;
      for (uint32_t old : it->second) {
        if (old >= seen.size()) seen.resize(old + 1, false);
        if (!seen[old]) sources[i].push_back(old);
        seen[old] = true;
      }
    }
    if (sources[i].empty()) sources[i] = all_kept;
  }
  return sources;
}

}  // namespace

GrownModel grow_model(const DualEncoder& model, const Catalog& catalog, const Catalog& fresh,
                      bool drop_vanished) {
  const ModelConfig& config = model.config();
  if (config.has_features()) {
    throw Error(
        "--init continues item-id models only: this model's side features are bound to the "
        "vocabularies of the log it was trained on; train it anew on the new log");
  }
  if (static_cast<size_t>(config.items) != catalog.size()) {
    throw Error("--init: the model has " + std::to_string(config.items) +
                " items but its catalog " + std::to_string(catalog.size()));
  }
  GrownModel grown;
  std::vector<uint32_t> old_index(1, 0);  // new index -> old index, 0 for an added item
  for (uint32_t i = 1; i <= catalog.size(); ++i) {
    CatalogItem item = catalog.item(i);
    if (auto now = fresh.find(item.id)) {
      item = fresh.item(*now);
      ++grown.change.kept;
    } else {
      ++grown.change.vanished;
      if (drop_vanished) continue;
      item.count = 0;
    }
    grown.catalog.add(std::move(item));
    old_index.push_back(i);
  }
  for (uint32_t i = 1; i <= fresh.size(); ++i) {
    if (catalog.find(fresh.item(i).id)) continue;
    grown.catalog.add(fresh.item(i));
    old_index.push_back(0);
    ++grown.change.added;
  }
  grown.change.vanished_dropped = drop_vanished;
  if (grown.catalog.size() == 0) throw Error("--init: no item is left in the catalog");

  ModelConfig next = config;
  next.items = static_cast<int>(grown.catalog.size());
  grown.model = std::make_unique<DualEncoder>(next);
  const auto sources = row_sources(grown.catalog, old_index);
  const auto& before = model.parameters();
  auto& after = grown.model->parameters();
  if (before.size() != after.size()) throw Error("--init: the model's parameters do not match");
  for (size_t p = 0; p < after.size(); ++p) {
    const nn::Matrix& from = before[p].value;
    nn::Matrix& to = after[p].value;
    if (before[p].name != after[p].name) throw Error("--init: parameter order differs");
    if (rows_are_items(after[p].name)) {
      // Row 0 (padding) and every new row from its sources.
      for (int c = 0; c < to.cols; ++c) to.at(0, c) = from.at(0, c);
      for (uint32_t i = 1; i < sources.size(); ++i) {
        float* row = to.row(static_cast<int>(i));
        for (uint32_t old : sources[i]) {
          const float* source = from.row(static_cast<int>(old));
          for (int c = 0; c < to.cols; ++c) row[c] += source[c];
        }
        const float share = 1.0f / static_cast<float>(sources[i].size());
        if (sources[i].size() > 1)
          for (int c = 0; c < to.cols; ++c) row[c] *= share;
      }
    } else if (columns_are_items(after[p].name)) {
      to.at(0, 0) = from.at(0, 0);
      for (uint32_t i = 1; i < sources.size(); ++i) {
        double sum = 0;
        for (uint32_t old : sources[i]) sum += from.at(0, static_cast<int>(old));
        to.at(0, static_cast<int>(i)) = static_cast<float>(sum / sources[i].size());
      }
    } else {
      if (from.rows != to.rows || from.cols != to.cols) {
        throw Error("--init: parameter '" + after[p].name + "' depends on the catalog size");
      }
      to = from;
    }
  }
  return grown;
}

}  // namespace pocketrec
