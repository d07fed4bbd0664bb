#include "data/catalog.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

namespace pocketrec {

Catalog::Catalog() {
  items_.push_back(CatalogItem{"<pad>", "", {}, 0, 0});
}

uint32_t Catalog::add(CatalogItem item) {
  auto index = static_cast<uint32_t>(items_.size());
  auto [it, inserted] = index_.try_emplace(item.id, index);
  if (!inserted) throw Error("catalog: duplicate item id '" + item.id + "'");
  items_.push_back(std::move(item));
  return index;
}

std::optional<uint32_t> Catalog::find(std::string_view id) const {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::string Catalog::label(uint32_t index) const {
  const auto& entry = item(index);
  if (entry.title.empty()) return entry.id;
  if (entry.genres.empty()) return entry.title;
  return entry.title + " - " + join(entry.genres, "|");
}

}  // namespace pocketrec
