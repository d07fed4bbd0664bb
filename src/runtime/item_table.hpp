#pragma once
// The catalog as the runtime holds it: ids and titles back to back in one buffer, genres as
// indices into one list of names, and an open-addressing index from id to item. About 23 bytes
// an item plus its text, where a vector of Item with a hash map took about 190 (1M items:
// 190 MB -> 31 MB, pocketrec_runtime_memory in docs/BENCHMARKS.md).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pocketrec/recommender.hpp"

namespace pocketrec::runtime {

class ItemTable {
 public:
  // Appends an item; `genres` is the '|'-separated list (the catalog metadata's field).
  void add(std::string_view id, std::string_view title, std::string_view genres, uint32_t count);
  void add(const Item& item);
  // Builds the id index; throws Error naming `origin` when an id appears twice.
  void finish(const std::string& origin);

  size_t size() const { return starts_.size(); }
  // Ids, titles and genre names end in a NUL byte just past the view (for the C API).
  std::string_view id(uint32_t index) const {
    return std::string_view(text_.data() + starts_[index]);
  }
  std::string_view title(uint32_t index) const {
    return std::string_view(text_.data() + starts_[index] + id(index).size() + 1);
  }
  size_t genre_count(uint32_t index) const;
  std::string_view genre(uint32_t index, size_t g) const;
  uint32_t count(uint32_t index) const { return has_counts_ ? counts_[index] : 0; }
  Item item(uint32_t index) const;
  std::optional<uint32_t> find(std::string_view id) const;
  // Bytes held, for the memory figures.
  size_t bytes() const;

 private:
  size_t slot(std::string_view id) const;
  std::string text_;              // per item: id NUL title NUL (ids and titles hold no NUL)
  std::vector<uint32_t> starts_;  // where each item's id starts in text_
  bool has_counts_ = false, has_genres_ = false;  // until then, counts_ / genre_ends_ are empty
  std::vector<uint32_t> counts_;
  std::vector<std::string> genre_names_;
  std::vector<uint32_t> genre_ends_;  // per item, into genre_list_
  std::vector<uint16_t> genre_list_;
  std::vector<uint32_t> slots_;  // item index + 1, 0 = empty; at most two thirds full
  std::vector<std::pair<std::string, uint16_t>> genre_lookup_;  // while adding, sorted by name
  uint16_t genre_index(std::string_view name);
};

}  // namespace pocketrec::runtime
