#include "data/stream_prepare.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/event_sort.hpp"
#include "data/prepared_format.hpp"
#include "data/synth.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

void expect_same_dataset(const Dataset& got, const Dataset& want) {
  ASSERT_EQ(got.catalog.size(), want.catalog.size());
  for (uint32_t i = 1; i <= want.catalog.size(); ++i) {
    const auto &g = got.catalog.item(i), &w = want.catalog.item(i);
    EXPECT_EQ(g.id, w.id);
    EXPECT_EQ(g.title, w.title);
    EXPECT_EQ(g.genres, w.genres);
    EXPECT_EQ(g.year, w.year);
    EXPECT_EQ(g.count, w.count) << "item " << w.id;
  }
  EXPECT_EQ(got.user_attribute_names, want.user_attribute_names);
  EXPECT_EQ(got.has_timestamps, want.has_timestamps);
  EXPECT_EQ(got.has_ratings, want.has_ratings);
  ASSERT_EQ(got.timelines.size(), want.timelines.size());
  for (size_t t = 0; t < want.timelines.size(); ++t) {
    const auto &g = got.timelines[t], &w = want.timelines[t];
    ASSERT_EQ(g.user, w.user) << "timeline " << t;
    EXPECT_EQ(g.items, w.items) << "user " << w.user;
    EXPECT_EQ(g.times, w.times) << "user " << w.user;
    EXPECT_EQ(g.ratings, w.ratings) << "user " << w.user;
    EXPECT_EQ(g.attributes, w.attributes) << "user " << w.user;
  }
}

// A CSV log with everything the filters and the sort must get right: users interleaved, many
// equal timestamps, exact duplicate rows, low ratings, rare items, short users, numeric and
// text ids.
std::string messy_csv(const std::filesystem::path& dir, int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> lines = {"user,item,rating,time"};
  for (int r = 0; r < rows; ++r) {
    if (lines.size() > 1 && rng() % 10 == 0) {  // an exact duplicate of the previous row
      lines.push_back(lines.back());
      continue;
    }
    const auto user = rng() % 60;
    const auto item = rng() % 7 == 0 ? rng() % 400 : rng() % 40;  // a long tail of rare items
    const auto rating = 1 + rng() % 5, time = 1000 + rng() % 50;
    char line[96];
    std::snprintf(line, sizeof line, "u%llu,%s%llu,%llu,%llu",
                  static_cast<unsigned long long>(user), item % 3 == 0 ? "sku" : "",
                  static_cast<unsigned long long>(item), static_cast<unsigned long long>(rating),
                  static_cast<unsigned long long>(time));
    lines.push_back(line);
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return testing::write_text(dir / "log.csv", text);
}

Dataset read_all_parts(const std::string& folder, const DatasetFilters& filters, int parts) {
  Dataset all;
  for (int p = 0; p < parts; ++p) {
    auto part = read_prepared(folder, filters, {p, parts});
    if (p == 0) {
      all = std::move(part);
    } else {
      for (auto& t : part.timelines) all.timelines.push_back(std::move(t));
    }
  }
  return all;
}

}  // namespace

TEST(EventSorter, SortsByUserAndTimeKeepingArrivalOrderOfTies) {
  for (size_t buffer : {size_t{7}, size_t{1000}}) {
    auto dir = testing::scratch_dir("sorter");
    std::vector<RawEvent> events;
    std::mt19937_64 rng(buffer);
    for (uint32_t i = 0; i < 500; ++i) {
      events.push_back({static_cast<uint32_t>(rng() % 13), i, static_cast<int64_t>(rng() % 4),
                        static_cast<float>(i)});
    }
    // 500 / 7 = 72 runs, merged 3 at a time: several levels of intermediate merges.
    EventSorter sorter((dir / "scratch").string(), buffer, 3);
    for (const auto& e : events) sorter.add(e);
    auto want = events;
    std::stable_sort(want.begin(), want.end(), [](const RawEvent& a, const RawEvent& b) {
      return std::tie(a.user, a.time) < std::tie(b.user, b.time);
    });
    for (int pass = 0; pass < 2; ++pass) {  // reading twice gives the same
      std::vector<RawEvent> got;
      uint32_t previous = 0;
      bool first = true;
      sorter.for_each_user([&](uint32_t user, const std::vector<RawEvent>& group) {
        EXPECT_TRUE(first || user > previous);
        first = false;
        previous = user;
        for (const auto& e : group) {
          EXPECT_EQ(e.user, user);
          got.push_back(e);
        }
      });
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].item, want[i].item) << "at " << i << ", buffer " << buffer;
      }
    }
    EXPECT_EQ(sorter.runs() > 0, buffer == 7);
    EXPECT_THROW(sorter.add(events[0]), Error);
  }
}

TEST(PreparedFormat, BalanceShardsByInteractions) {
  EXPECT_EQ(balance_shards({5, 1, 1, 1, 1, 1}, 2), (std::vector<size_t>{1, 5}));
  EXPECT_EQ(balance_shards({2, 2, 2, 2}, 2), (std::vector<size_t>{2, 2}));
  EXPECT_EQ(balance_shards({3, 3}, 4), (std::vector<size_t>{1, 1, 0, 0}));
  EXPECT_EQ(balance_shards({1, 1, 1}, 1), (std::vector<size_t>{3}));
}

TEST(StreamPrepare, EqualsTheInMemoryDatasetWithFiltersAndTinySortBuffer) {
  auto dir = testing::scratch_dir("stream_csv");
  auto csv = messy_csv(dir, 3000, 7);
  LoadOptions load;
  load.filters.min_rating = 2;
  load.filters.min_item_count = 3;
  load.filters.min_timeline = 4;
  const Dataset want = load_dataset(csv, load);
  StreamPrepareOptions options;
  options.progress = false;
  options.memory_bytes = 100 * EventSorter::kRecordBytes;  // about 25 runs
  options.max_open_runs = 4;
  options.shards = 3;
  auto result = prepare_streaming(csv, load, (dir / "out").string(), options);
  EXPECT_GT(result.runs, 10u);
  EXPECT_EQ(result.users, want.timelines.size());
  EXPECT_EQ(result.items, want.catalog.size());
  EXPECT_EQ(result.interactions, want.interactions());
  EXPECT_EQ(result.report.summary(), want.report.summary());
  // Every part of the users, read alone, adds up to the whole; and load_dataset reads it all.
  expect_same_dataset(read_all_parts((dir / "out").string(), load.filters, 3), want);
  expect_same_dataset(load_dataset((dir / "out").string(), load), want);
  auto first = read_prepared((dir / "out").string(), load.filters, {0, 3});
  EXPECT_LT(first.timelines.size(), want.timelines.size());
  EXPECT_EQ(first.catalog.size(), want.catalog.size());  // the whole catalog, global counts
}

TEST(StreamPrepare, EqualsTheInMemoryDatasetOnMovieLensWithMetadata) {
  auto dir = testing::scratch_dir("stream_ml");
  SynthOptions synth;
  synth.users = 150;
  synth.items = 200;
  synth.mean_length = 20;
  write_synth_dataset(synth, (dir / "ml").string());
  LoadOptions load;
  const Dataset want = load_dataset((dir / "ml").string(), load);
  StreamPrepareOptions options;
  options.progress = false;
  options.memory_bytes = 1000 * EventSorter::kRecordBytes;
  options.shards = 2;
  prepare_streaming((dir / "ml").string(), load, (dir / "out").string(), options);
  expect_same_dataset(load_dataset((dir / "out").string(), load), want);
  EXPECT_FALSE(want.catalog.item(1).title.empty());
}

TEST(StreamPrepare, SequenceLogsWithoutTimestampsKeepRepeats) {
  auto dir = testing::scratch_dir("stream_seq");
  auto path = testing::write_text(dir / "log.txt", "1 5\n1 5\n2 6\n1 7\n2 6\n2 8\n1 5\n");
  const Dataset want = load_dataset(path, {});
  StreamPrepareOptions options;
  options.progress = false;
  options.memory_bytes = 2 * EventSorter::kRecordBytes;
  prepare_streaming(path, {}, (dir / "out").string(), options);
  auto got = load_dataset((dir / "out").string(), {});
  expect_same_dataset(got, want);
  ASSERT_EQ(got.timelines[0].items.size(), 4u);  // 5 5 7 5: repeats are interactions here
}

TEST(StreamPrepare, RefusesStricterFiltersAndMorePartsThanShards) {
  auto dir = testing::scratch_dir("stream_refuse");
  auto csv = messy_csv(dir, 500, 3);
  StreamPrepareOptions options;
  options.progress = false;
  options.shards = 2;
  prepare_streaming(csv, {}, (dir / "out").string(), options);
  LoadOptions stricter;
  stricter.filters.min_timeline = 10;
  EXPECT_THROW(load_dataset((dir / "out").string(), stricter), Error);
  EXPECT_THROW(read_prepared((dir / "out").string(), {}, {0, 3}), Error);
  EXPECT_NO_THROW(read_prepared((dir / "out").string(), {}, {1, 2}));
}

TEST(StreamPrepare, CorruptShardsAreErrorsNamingTheFile) {
  auto dir = testing::scratch_dir("stream_corrupt");
  auto csv = messy_csv(dir, 800, 5);
  StreamPrepareOptions options;
  options.progress = false;
  const auto out = (dir / "out").string();
  prepare_streaming(csv, {}, out, options);
  const auto shard = (dir / "out" / "shard-00000.bin").string();
  const auto good = read_whole_file(shard);
  auto expect_error = [&](const std::string& bytes, const std::string& words) {
    testing::write_text(shard, bytes);
    try {
      load_dataset(out, {});
      ADD_FAILURE() << "no error for " << words;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("shard-00000.bin"), std::string::npos) << message;
      EXPECT_NE(message.find(words), std::string::npos) << message;
    }
  };
  expect_error(good.substr(0, good.size() - 5), "truncated");
  auto flipped = good;
  flipped[good.size() - 3] ^= 0x10;  // the last event's time: only the checksum sees it
  expect_error(flipped, "checksum");
  auto huge = good;
  huge[40] = '\x7f';  // inside the first user's id length
  expect_error(huge, "byte");
  expect_error("not a shard at all, just text", "not a pocketrec shard");
  testing::write_text(shard, good);
  EXPECT_NO_THROW(load_dataset(out, {}));
}

}  // namespace pocketrec

namespace pocketrec {

TEST(PreparedFormat, VersionOneFoldersStillRead) {
  auto dir = testing::scratch_dir("prepared_v1");
  testing::write_text(dir / "manifest.json",
                      R"({"format": "pocketrec-prepared", "version": 1, "has_timestamps": true,
                          "has_ratings": true})");
  testing::write_text(dir / "items.tsv", "7\tSeven (1990)\tDrama\t1990\n8\tEight\t\t0\n");
  testing::write_text(dir / "events.tsv", "u\t7\t10\t4\nu\t8\t20\t5\nu\t7\t30\t3\n");
  auto dataset = load_dataset(dir.string(), {});
  ASSERT_EQ(dataset.timelines.size(), 1u);
  EXPECT_EQ(dataset.timelines[0].items, (std::vector<uint32_t>{1, 2, 1}));
  EXPECT_EQ(dataset.catalog.item(1).title, "Seven (1990)");
  EXPECT_EQ(dataset.catalog.item(1).count, 2u);
}

}  // namespace pocketrec
