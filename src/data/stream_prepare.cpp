#include "data/stream_prepare.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "data/event_sort.hpp"
#include "data/prepared_format.hpp"

namespace fs = std::filesystem;

namespace pocketrec {
namespace {

constexpr size_t kPollEvents = size_t{1} << 20;  // how often reading checks for an interrupt

void check_interrupt() {
  if (interrupted()) throw Error("interrupted: nothing was written");
}

StreamPrepareResult prepare(const std::string& input, const LoadOptions& load,
                            const std::string& folder, const StreamPrepareOptions& options) {
  const fs::path scratch_parent = folder.empty() ? fs::temp_directory_path() : fs::path(folder);
  fs::create_directories(scratch_parent);
  EventSorter sorter((scratch_parent / (".sort.tmp." + std::to_string(::getpid()))).string(),
                     options.memory_bytes / EventSorter::kRecordBytes, options.max_open_runs);
  const auto& filters = load.filters;
  std::vector<uint32_t> item_counts;
  size_t below_rating = 0;
  std::optional<ProgressBar> bar;
  if (options.progress) bar.emplace("reading", 0, "events");
  auto sink = [&](const RawEvent& event) {
    if (event.rating < filters.min_rating) {
      ++below_rating;
    } else {
      if (event.item >= item_counts.size()) item_counts.resize(event.item + 1, 0);
      ++item_counts[event.item];
      sorter.add(event);
    }
    const size_t seen = sorter.events() + below_rating;
    if (seen % kPollEvents == 0) {
      check_interrupt();
      if (bar) bar->update(seen);
    }
  };
  RawLog log = load_raw_log(input, load, sink);
  if (bar) bar->finish_count(log.added);
  check_interrupt();
  if (!log.has_ratings && filters.min_rating > -1e29) {
    throw Error(input + ": --min-rating needs ratings, and this log has none" +
                (log.format == "csv" ? " (name the rating column: --columns ...,rating=N)" : ""));
  }
  item_counts.resize(log.item_ids.size(), 0);
  StreamPrepareResult result;
  result.format = log.format;
  result.events_read = log.added;
  result.runs = sorter.runs();
  result.report = log.report;
  if (log.has_ratings && filters.min_rating > -1e29) {
    result.report.count_filtered("events rated below the minimum rating", below_rating);
  }

  // The per-user steps of build_dataset: the item-count filter, exact duplicates, short users.
  size_t rare_item_events = 0, duplicates = 0, short_user_events = 0;
  std::vector<uint32_t> list;
  auto keep = [&](const std::vector<RawEvent>& group, bool count) {
    list.clear();
    for (uint32_t i = 0; i < group.size(); ++i) {
      if (item_counts[group[i].item] >= filters.min_item_count) {
        list.push_back(i);
      } else if (count) {
        ++rare_item_events;
      }
    }
    if (log.has_timestamps) {
      const size_t dropped = drop_exact_duplicates(list, group);
      if (count) duplicates += dropped;
    }
    if (list.size() < filters.min_timeline) {
      if (count) short_user_events += list.size();
      return false;
    }
    return true;
  };

  std::vector<uint32_t> kept_counts(item_counts.size(), 0);
  std::vector<uint32_t> lengths;  // kept users' interactions, in order
  {
    std::optional<ProgressBar> pass;
    if (options.progress) pass.emplace("grouping", sorter.events(), "events");
    size_t done = 0;
    sorter.for_each_user([&](uint32_t, const std::vector<RawEvent>& group) {
      done += group.size();
      if (keep(group, true)) {
        for (uint32_t i : list) ++kept_counts[group[i].item];
        lengths.push_back(static_cast<uint32_t>(list.size()));
      }
      if (pass) pass->update(done);
      if (lengths.size() % 4096 == 0) check_interrupt();
    });
    if (pass) pass->finish();
  }
  if (filters.min_item_count > 1) {
    result.report.count_filtered("events of items with too few interactions", rare_item_events);
  }
  result.report.count_filtered("exact duplicate rows (same user, item, time and rating)",
                               duplicates);
  result.report.count_filtered("events of users with too few interactions", short_user_events);
  if (sorter.events() == 0) {
    throw Error(input + ": no interactions left after the minimum-rating filter");
  }
  if (lengths.empty()) {
    throw Error(input + ": no user has at least " + std::to_string(filters.min_timeline) +
                " interactions after filtering");
  }
  std::vector<uint32_t> dense;
  const Catalog catalog = build_catalog(log, kept_counts, dense);
  result.users = lengths.size();
  result.items = catalog.size();
  result.shortest = *std::min_element(lengths.begin(), lengths.end());
  result.longest = *std::max_element(lengths.begin(), lengths.end());
  for (auto n : lengths) result.interactions += n;
  if (folder.empty()) return result;

  PreparedMeta meta{log.format, log.has_timestamps,       log.has_ratings,
                    filters,    log.user_attribute_names, options.events_tsv};
  PreparedWriter writer(folder, balance_shards(lengths, options.shards), meta);
  writer.set_item_ids(catalog);
  std::optional<ProgressBar> pass;
  if (options.progress) pass.emplace("writing", sorter.events(), "events");
  size_t done = 0, users = 0;
  Timeline timeline;
  sorter.for_each_user([&](uint32_t user, const std::vector<RawEvent>& group) {
    done += group.size();
    if (pass) pass->update(done);
    if (!keep(group, false)) return;
    if (++users % 4096 == 0) check_interrupt();
    timeline.user = log.user_ids[user];
    timeline.attributes = user_attributes(log, timeline.user);
    timeline.items.clear();
    timeline.times.clear();
    timeline.ratings.clear();
    for (uint32_t i : list) {
      timeline.items.push_back(dense[group[i].item]);
      timeline.times.push_back(group[i].time);
      timeline.ratings.push_back(group[i].rating);
    }
    writer.add(timeline);
  });
  if (pass) pass->finish();
  writer.finish(catalog);
  return result;
}

}  // namespace

StreamPrepareResult prepare_streaming(const std::string& input, const LoadOptions& load,
                                      const std::string& folder,
                                      const StreamPrepareOptions& options) {
  if (load.format == "auto") detect_format(input);  // a missing input fails before any output
  std::error_code ec;
  const bool created = !folder.empty() && !fs::exists(folder, ec);
  try {
    return prepare(input, load, folder, options);
  } catch (...) {
    if (created) fs::remove_all(folder, ec);  // leave no empty or partial folder behind
    throw;
  }
}

}  // namespace pocketrec
