#pragma once
// The item vocabulary: external id (any string) <-> dense index 1..N; index 0 is padding.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pocketrec {

struct CatalogItem {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  int year = 0;
  uint32_t count = 0;  // interactions in the data the catalog was built from
};

class Catalog {
 public:
  Catalog();
  // Adds an item and returns its dense index; the id must be new.
  uint32_t add(CatalogItem item);
  size_t size() const { return items_.size() - 1; }  // N, padding excluded
  const CatalogItem& item(uint32_t index) const { return items_.at(index); }
  CatalogItem& item(uint32_t index) { return items_.at(index); }
  std::optional<uint32_t> find(std::string_view id) const;
  // "Title (genres)" or the id where no title is known.
  std::string label(uint32_t index) const;

 private:
  std::vector<CatalogItem> items_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace pocketrec
