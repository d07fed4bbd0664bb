#include "data/download.hpp"

#include <gtest/gtest.h>
#include <zip.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/dataset_source.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

// Builds a zip shaped like the GroupLens archives (one top-level folder).
std::string make_zip(const std::filesystem::path& path,
                     const std::vector<std::pair<std::string, std::string>>& entries) {
  int error = 0;
  zip_t* zip = zip_open(path.string().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(zip, nullptr);
  for (const auto& [name, text] : entries) {
    // `entries` outlives zip_close, which is when libzip reads the buffers.
    zip_source_t* source = zip_source_buffer(zip, text.data(), text.size(), 0);
    zip_file_add(zip, name.c_str(), source, ZIP_FL_OVERWRITE);
  }
  EXPECT_EQ(zip_close(zip), 0);
  return read_whole_file(path.string());
}

}  // namespace

TEST(Download, FileUrlWithSha256UnpacksWithoutTopFolder) {
  auto dir = testing::scratch_dir("download");
  auto archive = make_zip(dir / "ml-tiny.zip",
                          {{"ml-tiny/ratings.dat", "1::10::5::1\n1::11::4::2\n1::12::3::3\n"},
                           {"ml-tiny/movies.dat", "10::A (1990)::Drama\n"}});
  DownloadSource source{"ml-tiny", "file://" + (dir / "ml-tiny.zip").string(), sha256_hex(archive)};
  EXPECT_EQ(download_dataset(source, (dir / "out").string()), 2u);
  auto dataset = load_dataset((dir / "out").string(), {});
  EXPECT_EQ(dataset.interactions(), 3u);
}

TEST(Download, ChecksumMismatchIsRefused) {
  auto dir = testing::scratch_dir("download_bad");
  make_zip(dir / "a.zip", {{"a/ratings.dat", "1::1::1::1\n"}});
  DownloadSource source{"a", "file://" + (dir / "a.zip").string(), std::string(64, '0')};
  EXPECT_THROW(download_dataset(source, (dir / "out").string()), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "ratings.dat"));
}

TEST(Download, PublishedMd5IsChecked) {
  auto dir = testing::scratch_dir("download_md5");
  auto archive = make_zip(dir / "b.zip", {{"b/u.data", "1\t2\t3\t4\n"}});
  testing::write_text(dir / "b.zip.md5", "MD5 (b.zip) = " + md5_hex(archive) + "\n");
  DownloadSource source{"b", "file://" + (dir / "b.zip").string(), ""};
  EXPECT_EQ(download_dataset(source, (dir / "out").string()), 1u);
  testing::write_text(dir / "b.zip.md5", std::string(32, 'f') + "  b.zip\n");
  EXPECT_THROW(download_dataset(source, (dir / "out2").string()), Error);
}

TEST(Download, EscapingEntryIsRefusedBeforeAnythingIsWritten) {
  auto dir = testing::scratch_dir("download_escape");
  auto archive = make_zip(dir / "evil.zip", {{"evil/ratings.dat", "1::1::1::1\n"},
                                             {"evil/movies.dat", "1::A (1990)::Drama\n"},
                                             {"evil/../../escaped.txt", "gotcha\n"}});
  EXPECT_THROW(unzip_to_folder(archive, (dir / "out").string(), "evil.zip"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "ratings.dat"));
  EXPECT_FALSE(std::filesystem::exists(dir / "escaped.txt"));
}

TEST(Download, KnownChecksumsAndErrors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(known_download("ml-1m").sha256,
            "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20");
  EXPECT_THROW(known_download("ml-99m"), Error);
  EXPECT_THROW(unzip_to_folder("not a zip", "/tmp/x", "test"), Error);
  DownloadSource missing{"m", "file:///nonexistent/archive.zip", "00"};
  EXPECT_THROW(download_dataset(missing, "/tmp/pocketrec_never"), Error);
}

}  // namespace pocketrec
