#include "data/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.hpp"
#include "core/text.hpp"

namespace pocketrec {
namespace {

// Numeric ids sort numerically, so MovieLens movie 2 comes before movie 10.
bool id_less(const std::string& a, const std::string& b) {
  auto na = parse_int(a), nb = parse_int(b);
  if (na && nb) return *na < *nb;
  if (na != nb) return static_cast<bool>(na);  // numbers first
  return a < b;
}

// Drops repeats of the same (item, time, rating) from one user's time-sorted events: a row
// logged twice, not a second interaction. Returns how many were dropped.
size_t drop_exact_duplicates(std::vector<uint32_t>& list, const std::vector<RawEvent>& events) {
  size_t kept = 0, run_begin = 0;
  std::vector<std::pair<uint64_t, uint32_t>> run;  // (item, rating bits), position in list
  auto same_time_end = [&](size_t from) {
    size_t end = from + 1;
    while (end < list.size() && events[list[end]].time == events[list[from]].time) ++end;
    return end;
  };
  std::vector<uint8_t> duplicate(list.size(), 0);
  for (; run_begin < list.size();) {
    const size_t run_end = same_time_end(run_begin);
    if (run_end - run_begin > 1) {
      run.clear();
      for (size_t k = run_begin; k < run_end; ++k) {
        const RawEvent& e = events[list[k]];
        uint32_t rating_bits = 0;
        std::memcpy(&rating_bits, &e.rating, sizeof rating_bits);
        run.emplace_back((static_cast<uint64_t>(e.item) << 32) | rating_bits,
                         static_cast<uint32_t>(k));
      }
      std::sort(run.begin(), run.end());
      for (size_t k = 1; k < run.size(); ++k) {
        if (run[k].first == run[k - 1].first) duplicate[run[k].second] = 1;
      }
    }
    run_begin = run_end;
  }
  for (size_t k = 0; k < list.size(); ++k) {
    if (!duplicate[k]) list[kept++] = list[k];
  }
  const size_t dropped = list.size() - kept;
  list.resize(kept);
  return dropped;
}

}  // namespace

void FilterCounts::report(ReadReport& report, const DatasetFilters& filters,
                          bool has_ratings) const {
  if (has_ratings && filters.min_rating > -1e29) {
    report.count_filtered("events rated below the minimum rating", below_rating);
  }
  if (filters.min_item_count > 1) {
    report.count_filtered("events of items with too few interactions", rare_item_events);
  }
  report.count_filtered("exact duplicate rows (same user, item, time and rating)", duplicates);
  report.count_filtered("events of users with too few interactions", short_user_events);
}

bool filter_user_events(std::vector<uint32_t>& list, const std::vector<RawEvent>& events,
                        const std::vector<uint32_t>& item_counts, const DatasetFilters& filters,
                        bool has_timestamps, FilterCounts& counts) {
  const size_t before = list.size();
  std::erase_if(list,
                [&](uint32_t e) { return item_counts[events[e].item] < filters.min_item_count; });
  counts.rare_item_events += before - list.size();
  // Without timestamps every row has its own tick, and a repeat is a real re-interaction.
  if (has_timestamps) counts.duplicates += drop_exact_duplicates(list, events);
  if (list.size() >= filters.min_timeline) return true;
  counts.short_user_events += list.size();
  return false;
}

Catalog build_catalog(const RawLog& log, const std::vector<uint32_t>& item_counts,
                      std::vector<uint32_t>& dense) {
  std::vector<uint32_t> raw_items;
  for (uint32_t i = 0; i < item_counts.size(); ++i) {
    if (item_counts[i] > 0) raw_items.push_back(i);
  }
  std::sort(raw_items.begin(), raw_items.end(),
            [&](uint32_t a, uint32_t b) { return id_less(log.item_ids[a], log.item_ids[b]); });
  Catalog catalog;
  dense.assign(item_counts.size(), 0);
  for (uint32_t raw : raw_items) {
    CatalogItem item;
    item.id = log.item_ids[raw];
    item.count = item_counts[raw];
    if (auto it = log.item_meta.find(item.id); it != log.item_meta.end()) {
      item.title = it->second.title;
      item.genres = it->second.genres;
      item.year = it->second.year;
    }
    dense[raw] = catalog.add(std::move(item));
  }
  return catalog;
}

std::vector<std::string> user_attributes(const RawLog& log, const std::string& user) {
  if (auto it = log.user_meta.find(user); it != log.user_meta.end()) return it->second;
  return std::vector<std::string>(log.user_attribute_names.size(), "");
}

size_t Dataset::interactions() const {
  size_t total = 0;
  for (const auto& timeline : timelines) total += timeline.items.size();
  return total;
}

std::string Dataset::summary() const {
  return format + ": " + std::to_string(timelines.size()) + " users, " +
         std::to_string(catalog.size()) + " items, " + std::to_string(interactions()) +
         " interactions";
}

Dataset build_dataset(RawLog log, const DatasetFilters& filters) {
  Dataset dataset;
  dataset.format = log.format;
  dataset.has_timestamps = log.has_timestamps;
  dataset.has_ratings = log.has_ratings;
  dataset.report = log.report;
  auto& events = log.events;
  if (events.empty()) throw Error("the dataset has no interactions");

  FilterCounts counts;
  if (log.has_ratings && filters.min_rating > -1e29) {
    size_t before = events.size();
    std::erase_if(events, [&](const RawEvent& e) { return e.rating < filters.min_rating; });
    counts.below_rating = before - events.size();
  }
  std::vector<uint32_t> item_counts(log.item_ids.size(), 0);
  for (const auto& e : events) ++item_counts[e.item];

  // Group by user, keeping file order inside each user, then order by time (stable: ties keep
  // file order).
  std::vector<std::vector<uint32_t>> by_user(log.user_ids.size());
  for (uint32_t i = 0; i < events.size(); ++i) by_user[events[i].user].push_back(i);
  std::vector<uint32_t> kept_users;
  std::vector<uint32_t> kept_counts(log.item_ids.size(), 0);
  for (uint32_t user = 0; user < by_user.size(); ++user) {
    auto& list = by_user[user];
    if (list.empty()) continue;
    std::stable_sort(list.begin(), list.end(),
                     [&](uint32_t a, uint32_t b) { return events[a].time < events[b].time; });
    if (!filter_user_events(list, events, item_counts, filters, log.has_timestamps, counts)) {
      continue;
    }
    for (uint32_t e : list) ++kept_counts[events[e].item];
    kept_users.push_back(user);
  }
  counts.report(dataset.report, filters, log.has_ratings);
  if (kept_users.empty()) {
    throw Error("no user has at least " + std::to_string(filters.min_timeline) +
                " interactions after filtering");
  }

  std::vector<uint32_t> dense;
  dataset.catalog = build_catalog(log, kept_counts, dense);

  dataset.timelines.reserve(kept_users.size());
  dataset.user_attribute_names = log.user_attribute_names;
  for (uint32_t user : kept_users) {
    Timeline timeline;
    timeline.user = log.user_ids[user];
    timeline.attributes = user_attributes(log, timeline.user);
    for (uint32_t e : by_user[user]) {
      timeline.items.push_back(dense[events[e].item]);
      timeline.times.push_back(events[e].time);
      timeline.ratings.push_back(events[e].rating);
    }
    dataset.timelines.push_back(std::move(timeline));
  }
  return dataset;
}

}  // namespace pocketrec

namespace pocketrec {

size_t align_to_catalog(Dataset& dataset, const Catalog& catalog, size_t min_timeline) {
  std::vector<uint32_t> mapping(dataset.catalog.size() + 1, 0);
  for (uint32_t i = 1; i <= dataset.catalog.size(); ++i) {
    mapping[i] = catalog.find(dataset.catalog.item(i).id).value_or(0);
  }
  size_t dropped = 0;
  std::vector<Timeline> kept;
  for (auto& timeline : dataset.timelines) {
    Timeline aligned;
    aligned.user = timeline.user;
    aligned.attributes = timeline.attributes;
    for (size_t k = 0; k < timeline.items.size(); ++k) {
      uint32_t item = mapping[timeline.items[k]];
      if (!item) {
        ++dropped;
        continue;
      }
      aligned.items.push_back(item);
      aligned.times.push_back(timeline.times[k]);
      aligned.ratings.push_back(timeline.ratings[k]);
    }
    if (aligned.items.size() >= min_timeline) {
      kept.push_back(std::move(aligned));
    } else {
      dropped += aligned.items.size();
    }
  }
  dataset.timelines = std::move(kept);
  dataset.catalog = catalog;
  return dropped;
}

}  // namespace pocketrec
