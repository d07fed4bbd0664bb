#include "data/synth.hpp"

#include <gtest/gtest.h>

#include "core/atomic_file.hpp"
#include "data/dataset_source.hpp"
#include "test_util.hpp"

namespace pocketrec {

TEST(Synth, DeterministicAndReadableAsMovieLens) {
  auto dir = testing::scratch_dir("synth");
  SynthOptions options;
  options.users = 50;
  options.items = 100;
  size_t first = write_synth_dataset(options, (dir / "a").string());
  size_t second = write_synth_dataset(options, (dir / "b").string());
  EXPECT_EQ(first, second);
  EXPECT_EQ(read_whole_file((dir / "a" / "ratings.dat").string()),
            read_whole_file((dir / "b" / "ratings.dat").string()));
  auto dataset = load_dataset((dir / "a").string(), {});
  EXPECT_EQ(dataset.format, "ml-1m");
  EXPECT_EQ(dataset.interactions(), first);
  EXPECT_EQ(dataset.timelines.size(), 50u);
  EXPECT_EQ(dataset.report.rows_skipped(), 0u);
  // Every item carries a title with a year and at least one genre.
  for (uint32_t i = 1; i <= dataset.catalog.size(); ++i) {
    EXPECT_GT(dataset.catalog.item(i).year, 1900);
    EXPECT_FALSE(dataset.catalog.item(i).genres.empty());
  }
  options.seed = 43;
  write_synth_dataset(options, (dir / "c").string());
  EXPECT_NE(read_whole_file((dir / "a" / "ratings.dat").string()),
            read_whole_file((dir / "c" / "ratings.dat").string()));
}

}  // namespace pocketrec
