// Checks the readers against the real MovieLens files in ../shared/data (counts from its README).
// Skips, saying so, when that folder is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/dataset_source.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

std::string data_path(const std::string& relative) {
  // Built with path arithmetic: GCC 12 reports a false -Warray-bounds on the chained string +.
  return (std::filesystem::path(testing::shared_dir()) / "data" / relative).string();
}

#define REQUIRE_SHARED(path)          \
  if (!std::filesystem::exists(path)) \
  GTEST_SKIP() << "shared data not found at " << path << "; skipping the real-data check"

LoadOptions keep_everything() {
  LoadOptions options;
  options.filters.min_timeline = 1;
  return options;
}

}  // namespace

TEST(SharedData, Ml1mSasrec) {
  auto path = data_path("ml-1m-sasrec");
  REQUIRE_SHARED(path);
  auto dataset = load_dataset(path, keep_everything());
  EXPECT_EQ(dataset.format, "sequence");
  EXPECT_EQ(dataset.interactions(), 999611u);
  EXPECT_EQ(dataset.timelines.size(), 6040u);
  EXPECT_EQ(dataset.catalog.size(), 3416u);
  EXPECT_EQ(dataset.report.rows_skipped(), 0u);
  size_t shortest = SIZE_MAX, longest = 0;
  for (const auto& t : dataset.timelines) {
    shortest = std::min(shortest, t.items.size());
    longest = std::max(longest, t.items.size());
  }
  EXPECT_EQ(shortest, 18u);
  EXPECT_EQ(longest, 2277u);
}

TEST(SharedData, Ml1mPartialWithMovies) {
  auto path = data_path("ml-1m");
  REQUIRE_SHARED(path);
  auto dataset = load_dataset(path, keep_everything());
  EXPECT_EQ(dataset.format, "ml-1m");
  EXPECT_EQ(dataset.interactions(), 487650u);
  EXPECT_EQ(dataset.timelines.size(), 2999u);
  EXPECT_EQ(dataset.catalog.size(), 3615u);
  auto toy_story = dataset.catalog.find("1");
  ASSERT_TRUE(toy_story);
  EXPECT_EQ(dataset.catalog.item(*toy_story).title, "Toy Story (1995)");
  EXPECT_EQ(dataset.catalog.item(*toy_story).year, 1995);
}

TEST(SharedData, MlLatestSmall) {
  auto path = data_path("ml-latest-small");
  REQUIRE_SHARED(path);
  auto dataset = load_dataset(path, keep_everything());
  EXPECT_EQ(dataset.format, "ml-latest");
  EXPECT_EQ(dataset.interactions(), 100836u);
  EXPECT_EQ(dataset.timelines.size(), 610u);
  EXPECT_EQ(dataset.catalog.size(), 9724u);
  EXPECT_EQ(dataset.report.rows_skipped(), 0u);
}

TEST(SharedData, Ml100k) {
  auto path = data_path("ml-100k");
  REQUIRE_SHARED(path);
  auto dataset = load_dataset(path, keep_everything());
  EXPECT_EQ(dataset.format, "ml-100k");
  EXPECT_EQ(dataset.interactions(), 100000u);
  EXPECT_EQ(dataset.timelines.size(), 943u);
  EXPECT_EQ(dataset.catalog.size(), 1682u);
  auto first = dataset.catalog.find("1");
  ASSERT_TRUE(first);
  EXPECT_EQ(dataset.catalog.item(*first).title, "Toy Story (1995)");
}

}  // namespace pocketrec
