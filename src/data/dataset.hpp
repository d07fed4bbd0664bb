#pragma once
// A catalog plus one time-ordered timeline per user: what every later stage reads.
#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "data/raw_log.hpp"

namespace pocketrec {

struct Timeline {
  std::string user;
  std::vector<uint32_t> items;  // dense indices 1..N, oldest first
  std::vector<int64_t> times;
  std::vector<float> ratings;
  std::vector<std::string> attributes;  // aligned with Dataset::user_attribute_names ("" unknown)
};

struct DatasetFilters {
  double min_rating = -1e30;  // events rated below are dropped
  size_t min_item_count = 1;  // items with fewer interactions are dropped (one pass)
  size_t min_timeline = 3;    // users with fewer interactions are dropped (after the above)
};

struct Dataset {
  Catalog catalog;
  std::vector<Timeline> timelines;
  std::vector<std::string> user_attribute_names;
  std::string format;
  bool has_timestamps = true;
  bool has_ratings = true;
  ReadReport report;
  // Read from a sharded prepared dataset (data/prepared_format.hpp): of its `total_shards`
  // shards, this holds `first_shard` on, shard k's users ending at timeline shard_ends[k].
  // total_shards == 0: not read from shards.
  size_t total_shards = 0;
  size_t first_shard = 0;
  std::vector<size_t> shard_ends;

  size_t interactions() const;
  std::string summary() const;
};

// The steps build_dataset and the streaming prepare (data/stream_prepare.hpp) share, so both
// give the same dataset, and the same report, from the same log.
// What the filters dropped, reported under the same names however the dataset was built.
struct FilterCounts {
  size_t below_rating = 0, rare_item_events = 0, duplicates = 0, short_user_events = 0;
  void report(ReadReport& report, const DatasetFilters& filters, bool has_ratings) const;
};
// One user's events: `list` indexes `events`, in time order. Drops the events of items counted
// below filters.min_item_count, then exact duplicates (logs with timestamps); false when fewer
// than filters.min_timeline remain. Adds what it dropped to `counts`.
bool filter_user_events(std::vector<uint32_t>& list, const std::vector<RawEvent>& events,
                        const std::vector<uint32_t>& item_counts, const DatasetFilters& filters,
                        bool has_timestamps, FilterCounts& counts);
// The catalog of the raw items with a nonzero count, in id order; `dense` maps raw to dense
// indices (0 = not in the catalog).
Catalog build_catalog(const RawLog& log, const std::vector<uint32_t>& item_counts,
                      std::vector<uint32_t>& dense);
// The user's attributes from the log's user table, "" where unknown.
std::vector<std::string> user_attributes(const RawLog& log, const std::string& user);

// Filters the log, assigns dense item indices and builds time-ordered timelines (ties keep file
// order). Throws when nothing is left.
Dataset build_dataset(RawLog log, const DatasetFilters& filters);

}  // namespace pocketrec

namespace pocketrec {

// Re-expresses the dataset in another catalog's indices (a trained model's), dropping events of
// items that catalog lacks and then users left with fewer than `min_timeline` items. Returns how
// many events were dropped.
size_t align_to_catalog(Dataset& dataset, const Catalog& catalog, size_t min_timeline);

}  // namespace pocketrec
