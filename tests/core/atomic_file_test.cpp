#include "core/atomic_file.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "test_util.hpp"

namespace pocketrec {

TEST(AtomicFile, WritesAndLeavesNoTemporary) {
  auto dir = testing::scratch_dir("atomic");
  auto path = (dir / "out.bin").string();
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_whole_file(path), "second");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, MissingFolderIsAClearError) {
  EXPECT_THROW(write_file_atomically("/nonexistent/folder/x", "a"), Error);
  EXPECT_THROW(read_whole_file("/nonexistent/file"), Error);
}

}  // namespace pocketrec
