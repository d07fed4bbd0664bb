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
  FilterCounts counts;
  std::optional<ProgressBar> bar;
  if (options.progress) bar.emplace("reading", 0, "events");
  auto sink = [&](const RawEvent& event) {
    if (event.rating < filters.min_rating) {
      ++counts.below_rating;
    } else {
      if (event.item >= item_counts.size()) item_counts.resize(event.item + 1, 0);
      ++item_counts[event.item];
      sorter.add(event);
    }
    const size_t seen = sorter.events() + counts.below_rating;
    if (seen % kPollEvents == 0) {
      check_interrupt();
      if (bar) bar->update(seen);
    }
  };
  RawLog log = load_raw_log(input, load, sink);
  if (bar) bar->finish_count(log.added);
  check_interrupt();
  item_counts.resize(log.item_ids.size(), 0);
  StreamPrepareResult result;
  result.format = log.format;
  result.events_read = log.added;
  result.runs = sorter.runs();
  result.report = log.report;

  // build_dataset's own steps for each user; the second pass repeats the first's counts.
  std::vector<uint32_t> list;
  auto keep = [&](const std::vector<RawEvent>& group, FilterCounts& dropped) {
    list.resize(group.size());
    for (uint32_t i = 0; i < group.size(); ++i) list[i] = i;
    return filter_user_events(list, group, item_counts, filters, log.has_timestamps, dropped);
  };

  std::vector<uint32_t> kept_counts(item_counts.size(), 0);
  std::vector<uint32_t> lengths;  // kept users' interactions, in order
  {
    std::optional<ProgressBar> pass;
    if (options.progress) pass.emplace("grouping", sorter.events(), "events");
    size_t done = 0;
    sorter.for_each_user([&](uint32_t, const std::vector<RawEvent>& group) {
      done += group.size();
      if (keep(group, counts)) {
        for (uint32_t i : list) ++kept_counts[group[i].item];
        lengths.push_back(static_cast<uint32_t>(list.size()));
      }
      if (pass) pass->update(done);
      if (lengths.size() % 4096 == 0) check_interrupt();
    });
    if (pass) pass->finish();
  }
  counts.report(result.report, filters, log.has_ratings);
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
  PreparedWriter writer(folder, balance_shards(lengths, options.shards), meta, catalog);
  std::optional<ProgressBar> pass;
  if (options.progress) pass.emplace("writing", sorter.events(), "events");
  size_t done = 0, users = 0;
  Timeline timeline;
  FilterCounts again;
  sorter.for_each_user([&](uint32_t user, const std::vector<RawEvent>& group) {
    done += group.size();
    if (pass) pass->update(done);
    if (!keep(group, again)) return;
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
  writer.finish();
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
