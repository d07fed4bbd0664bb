#include "data/dataset.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/context_window.hpp"
#include "data/dataset_source.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

RawLog small_log() {
  RawLog log;
  log.format = "test";
  // user a: items 20, 10, 30 (times 5, 1, 5: the tie keeps file order 20 before 30)
  log.add("a", "20", 5, 4);
  log.add("a", "10", 1, 5);
  log.add("a", "30", 5, 2);
  log.add("b", "10", 1, 3);
  log.add("b", "30", 2, 5);
  log.add("b", "2", 3, 5);
  log.add("c", "10", 1, 5);
  return log;
}

}  // namespace

TEST(Dataset, TimeOrderWithStableTiesAndNumericIds) {
  auto dataset = build_dataset(small_log(), {});
  EXPECT_EQ(dataset.timelines.size(), 2u);  // c has 1 item < min 3
  EXPECT_EQ(dataset.catalog.size(), 4u);
  // Numeric ids are ordered numerically: 2, 10, 20, 30 -> 1..4.
  EXPECT_EQ(dataset.catalog.item(1).id, "2");
  EXPECT_EQ(dataset.catalog.item(4).id, "30");
  const auto& a = dataset.timelines[0];
  ASSERT_EQ(a.user, "a");
  std::vector<std::string> ids;
  for (uint32_t i : a.items) ids.push_back(dataset.catalog.item(i).id);
  EXPECT_EQ(ids, (std::vector<std::string>{"10", "20", "30"}));
  EXPECT_EQ(dataset.catalog.item(2).count, 2u);  // item 10 by a and b (c was dropped)
}

TEST(Dataset, Filters) {
  DatasetFilters filters;
  filters.min_rating = 4;
  filters.min_timeline = 2;
  auto dataset = build_dataset(small_log(), filters);
  // a keeps 20, 10; b keeps 30, 2; c keeps 10 (too short).
  ASSERT_EQ(dataset.timelines.size(), 2u);
  EXPECT_EQ(dataset.interactions(), 4u);
  DatasetFilters by_count;
  by_count.min_item_count = 3;
  by_count.min_timeline = 1;
  auto popular = build_dataset(small_log(), by_count);
  EXPECT_EQ(popular.catalog.size(), 1u);  // only item 10 has 3 interactions
  EXPECT_EQ(popular.catalog.item(1).id, "10");
  DatasetFilters impossible;
  impossible.min_timeline = 100;
  EXPECT_THROW(build_dataset(small_log(), impossible), Error);
}

TEST(Dataset, PreparedRoundTrip) {
  auto dir = testing::scratch_dir("prepared");
  auto log = small_log();
  log.item_meta["10"] = {"Ten (1999)", {"Drama", "War"}, 1999};
  log.user_attribute_names = {"gender", "age"};
  log.user_meta["a"] = {"F", "25"};  // b has none: unknown attributes stay empty
  auto dataset = build_dataset(std::move(log), {});
  write_prepared_dataset(dataset, (dir / "p").string());
  auto again = load_dataset((dir / "p").string(), {});
  EXPECT_EQ(again.format, "prepared");
  ASSERT_EQ(again.timelines.size(), dataset.timelines.size());
  for (size_t t = 0; t < again.timelines.size(); ++t) {
    EXPECT_EQ(again.timelines[t].items, dataset.timelines[t].items);
    EXPECT_EQ(again.timelines[t].times, dataset.timelines[t].times);
  }
  EXPECT_EQ(again.user_attribute_names, (std::vector<std::string>{"gender", "age"}));
  EXPECT_EQ(again.timelines[0].attributes, (std::vector<std::string>{"F", "25"}));
  EXPECT_EQ(again.timelines[1].attributes, (std::vector<std::string>{"", ""}));
  auto ten = *again.catalog.find("10");
  EXPECT_EQ(again.catalog.item(ten).title, "Ten (1999)");
  EXPECT_EQ(again.catalog.item(ten).genres.size(), 2u);
}

TEST(Dataset, AlignToAnotherCatalogDropsUnknownItems) {
  auto dataset = build_dataset(small_log(), {});
  Catalog other;
  other.add({"30", "", {}, 0, 0});
  other.add({"10", "", {}, 0, 0});
  other.add({"20", "", {}, 0, 0});
  size_t dropped = align_to_catalog(dataset, other, 3);
  // b loses item 2 and falls below 3 items: its 2 remaining events are dropped too.
  EXPECT_EQ(dropped, 3u);
  ASSERT_EQ(dataset.timelines.size(), 1u);
  EXPECT_EQ(dataset.timelines[0].items, (std::vector<uint32_t>{2, 3, 1}));
}

TEST(ContextWindow, LayoutsAndTruncation) {
  std::vector<uint32_t> history = {5, 6, 7};
  std::vector<int32_t> out(5);
  fill_context(history, HistoryLayout::kNewestLast, out);
  EXPECT_EQ(out, (std::vector<int32_t>{0, 0, 5, 6, 7}));
  fill_context(history, HistoryLayout::kOldestFirst, out);
  EXPECT_EQ(out, (std::vector<int32_t>{5, 6, 7, 0, 0}));
  std::vector<int32_t> short_out(2);
  fill_context(history, HistoryLayout::kNewestLast, short_out);
  EXPECT_EQ(short_out, (std::vector<int32_t>{6, 7}));  // the most recent items win
  fill_context({}, HistoryLayout::kNewestLast, short_out);
  EXPECT_EQ(short_out, (std::vector<int32_t>{0, 0}));
}

}  // namespace pocketrec
