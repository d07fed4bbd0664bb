#pragma once
// What every reader produces: interaction events with external ids, plus whatever item metadata
// the dataset ships. Dense indices are assigned later, after filtering (see dataset.hpp).
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/read_report.hpp"

namespace pocketrec {

struct ItemMeta {
  std::string title;
  std::vector<std::string> genres;
  int year = 0;  // 0 = unknown
};

struct RawEvent {
  uint32_t user;  // index into RawLog::user_ids
  uint32_t item;  // index into RawLog::item_ids
  int64_t time;   // unix seconds, or the line number where the log has no timestamps
  float rating;   // 0 where the log has no ratings
};

class RawLog {
 public:
  uint32_t intern_user(std::string_view id);
  uint32_t intern_item(std::string_view id);
  void add(std::string_view user, std::string_view item, int64_t time, float rating);

  // Streaming: when set, add() hands each event to the sink instead of keeping it in `events`,
  // so a log larger than memory can be read (only the id tables grow).
  std::function<void(const RawEvent&)> sink;
  size_t added = 0;  // events added, kept or sunk

  std::vector<std::string> user_ids;
  std::vector<std::string> item_ids;
  std::vector<RawEvent> events;
  std::unordered_map<std::string, ItemMeta> item_meta;  // by external item id
  // Per-user attributes (MovieLens users.dat: gender, age, occupation, zip), by external user id,
  // aligned with user_attribute_names.
  std::vector<std::string> user_attribute_names;
  std::unordered_map<std::string, std::vector<std::string>> user_meta;
  bool has_timestamps = true;
  bool has_ratings = true;
  std::string format;  // which reader produced it
  ReadReport report;

 private:
  std::unordered_map<std::string, uint32_t> user_index_;
  std::unordered_map<std::string, uint32_t> item_index_;
};

// "Toy Story (1995)" -> 1995; 0 when the title carries no year.
int year_from_title(std::string_view title);

}  // namespace pocketrec
