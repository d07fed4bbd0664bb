#include "runtime/item_table.hpp"

#include <algorithm>
#include <limits>

#include "pocketrec/error.hpp"

namespace pocketrec::runtime {
namespace {

// FNV-1a: a few ns for a short id, and no table to ship.
uint64_t hash_id(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

}  // namespace

uint16_t ItemTable::genre_index(std::string_view name) {
  auto it = std::lower_bound(genre_lookup_.begin(), genre_lookup_.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it != genre_lookup_.end() && it->first == name) return it->second;
  if (genre_names_.size() > std::numeric_limits<uint16_t>::max()) {
    throw Error("the catalog has more than 65,536 distinct genres");
  }
  const auto index = static_cast<uint16_t>(genre_names_.size());
  genre_names_.emplace_back(name);
  genre_lookup_.insert(it, {std::string(name), index});
  return index;
}

void ItemTable::add(std::string_view id, std::string_view title, std::string_view genres,
                    uint32_t count) {
  if (text_.size() + id.size() + title.size() + 2 > std::numeric_limits<uint32_t>::max() ||
      size() >= std::numeric_limits<uint32_t>::max() / 2) {
    throw Error("the catalog's ids and titles exceed 4 GB");
  }
  if (id.find('\0') != std::string_view::npos || title.find('\0') != std::string_view::npos) {
    throw Error("item id or title holds a NUL byte: '" + std::string(id.substr(0, id.find('\0'))) +
                "'");
  }
  const size_t index = size();
  starts_.push_back(static_cast<uint32_t>(text_.size()));
  text_.append(id);
  text_.push_back('\0');
  text_.append(title);
  text_.push_back('\0');
  // Counts and genres take no space until an item has one.
  if (count && !has_counts_) {
    counts_.assign(index, 0);
    has_counts_ = true;
  }
  if (has_counts_) counts_.push_back(count);
  if (!genres.empty() && !has_genres_) {
    genre_ends_.assign(index, 0);
    has_genres_ = true;
  }
  if (has_genres_) {
    size_t start = 0;
    while (!genres.empty() && start <= genres.size()) {
      size_t bar = genres.find('|', start);
      if (bar == std::string_view::npos) bar = genres.size();
      genre_list_.push_back(genre_index(genres.substr(start, bar - start)));
      start = bar + 1;
    }
    genre_ends_.push_back(static_cast<uint32_t>(genre_list_.size()));
  }
}

void ItemTable::add(const Item& item) {
  std::string genres;
  for (size_t g = 0; g < item.genres.size(); ++g) {
    if (g) genres += '|';
    genres += item.genres[g];
  }
  add(item.id, item.title, genres, item.count);
}

void ItemTable::finish(const std::string& origin) {
  genre_lookup_.clear();
  genre_lookup_.shrink_to_fit();
  text_.shrink_to_fit();
  starts_.shrink_to_fit();
  counts_.shrink_to_fit();
  genre_ends_.shrink_to_fit();
  genre_list_.shrink_to_fit();
  const size_t n = size();
  slots_.assign(std::max<size_t>(n + n / 2, 16), 0);
  for (uint32_t i = 0; i < n; ++i) {
    const std::string_view key = id(i);
    for (size_t s = slot(key);; s = s + 1 == slots_.size() ? 0 : s + 1) {
      if (slots_[s] == 0) {
        slots_[s] = i + 1;
        break;
      }
      if (id(slots_[s] - 1) == key) {
        throw Error(origin + ": item id '" + std::string(key) + "' appears twice in the catalog");
      }
    }
  }
}

// The hash scaled to the table's size (a multiply, not a division).
size_t ItemTable::slot(std::string_view key) const {
  return static_cast<size_t>(((hash_id(key) >> 32) * slots_.size()) >> 32);
}

std::optional<uint32_t> ItemTable::find(std::string_view key) const {
  if (slots_.empty()) return std::nullopt;
  for (size_t s = slot(key); slots_[s] != 0; s = s + 1 == slots_.size() ? 0 : s + 1) {
    if (id(slots_[s] - 1) == key) return slots_[s] - 1;
  }
  return std::nullopt;
}

size_t ItemTable::genre_count(uint32_t index) const {
  if (!has_genres_ || index >= size()) return 0;
  return genre_ends_[index] - (index == 0 ? 0 : genre_ends_[index - 1]);
}

std::string_view ItemTable::genre(uint32_t index, size_t g) const {
  const uint32_t begin = index == 0 ? 0 : genre_ends_[index - 1];
  return genre_names_[genre_list_[begin + g]];
}

Item ItemTable::item(uint32_t index) const {
  if (index >= size()) throw Error("item index " + std::to_string(index) + " is out of range");
  Item item;
  item.id = id(index);
  item.title = title(index);
  item.count = count(index);
  for (size_t g = 0; g < genre_count(index); ++g) item.genres.emplace_back(genre(index, g));
  return item;
}

size_t ItemTable::bytes() const {
  size_t names = 0;
  for (const auto& name : genre_names_) names += name.capacity() + sizeof name;
  return text_.capacity() + starts_.capacity() * sizeof(uint32_t) +
         counts_.capacity() * sizeof(uint32_t) + names + genre_ends_.capacity() * 4 +
         genre_list_.capacity() * 2 + slots_.capacity() * 4;
}

}  // namespace pocketrec::runtime
