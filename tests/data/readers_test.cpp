#include <gtest/gtest.h>
#include <zlib.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "data/dataset_source.hpp"
#include "data/readers.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

void write_gzip(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
  gzclose(file);
}

}  // namespace

TEST(Readers, MovieLensUserAttributesBothLayouts) {
  auto dir = testing::scratch_dir("ml1m_users");
  testing::write_text(dir / "ratings.dat", "1::10::5::100\n2::10::3::200\n");
  testing::write_text(dir / "users.dat", "1::F::25::7::02139\n2::M::56\n");  // 2 is malformed
  auto log = load_raw_log(dir.string(), {});
  EXPECT_EQ(log.user_attribute_names,
            (std::vector<std::string>{"gender", "age", "occupation", "zip"}));
  EXPECT_EQ(log.user_meta.at("1"), (std::vector<std::string>{"F", "25", "7", "02139"}));
  EXPECT_EQ(log.user_meta.count("2"), 0u);
  ASSERT_EQ(log.report.rows_skipped(), 1u);
  EXPECT_NE(log.report.examples()[0].find("users.dat:2:"), std::string::npos);
  // ml-100k's u.user orders the fields id|age|gender|occupation|zip.
  auto old = testing::scratch_dir("ml100k_users");
  testing::write_text(old / "u.data", "1\t10\t5\t100\n");
  testing::write_text(old / "u.user", "1|24|M|technician|85711\n");
  auto log100k = load_raw_log(old.string(), {});
  EXPECT_EQ(log100k.user_meta.at("1"),
            (std::vector<std::string>{"M", "24", "technician", "85711"}));
}

TEST(Readers, MovieLens1mCountsMalformedLines) {
  auto dir = testing::scratch_dir("ml1m");
  testing::write_text(dir / "ratings.dat",
                      "1::10::5::100\n"
                      "1::20::4\n"       // too few fields
                      "1::30::x::102\n"  // bad rating
                      "2::10::3::200\n"
                      "\n"
                      "2::20::4::abc\n");  // bad timestamp
  testing::write_text(dir / "movies.dat",
                      "10::Caf\xE9 Society (1995)::Comedy|Drama\n20::Heat (1995)::Action\n");
  auto log = load_raw_log(dir.string(), {});
  EXPECT_EQ(log.format, "ml-1m");
  EXPECT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.report.rows_skipped(), 3u);
  ASSERT_EQ(log.report.examples().size(), 3u);
  EXPECT_NE(log.report.examples()[0].find("ratings.dat:2:"), std::string::npos);
  EXPECT_NE(log.report.examples()[1].find("ratings.dat:3:"), std::string::npos);
  EXPECT_NE(log.report.examples()[2].find("ratings.dat:6:"), std::string::npos);
  const auto& meta = log.item_meta.at("10");
  EXPECT_EQ(meta.title, "Caf\xC3\xA9 Society (1995)");
  EXPECT_EQ(meta.year, 1995);
  ASSERT_EQ(meta.genres.size(), 2u);
  EXPECT_EQ(meta.genres[1], "Drama");
}

TEST(Readers, StrictStopsAtFirstBadLineWithFileAndLine) {
  auto dir = testing::scratch_dir("strict");
  testing::write_text(dir / "ratings.dat", "1::10::5::100\n1::20::4\n");
  LoadOptions options;
  options.strict = true;
  try {
    load_raw_log(dir.string(), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ratings.dat:2:"), std::string::npos) << e.what();
  }
}

TEST(Readers, GzipIsTransparent) {
  auto dir = testing::scratch_dir("gz");
  write_gzip((dir / "ratings_part.dat.gz").string(),
             "1::10::5::100\n1::11::5::101\n2::10::3::50\n");
  auto log = load_raw_log(dir.string(), {});
  EXPECT_EQ(log.events.size(), 3u);
  EXPECT_EQ(log.events[2].time, 50);
}

TEST(Readers, TruncatedGzipIsAnErrorNotSilentLoss) {
  auto dir = testing::scratch_dir("gzcut");
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "1::" + std::to_string(i) + "::5::" + std::to_string(i) + "\n";
  auto path = (dir / "ratings.dat.gz").string();
  write_gzip(path, text);
  auto bytes = read_whole_file(path);
  testing::write_text(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(load_raw_log(dir.string(), {}), Error);
}

TEST(Readers, MovieLensLatestCsvWithQuotedTitles) {
  auto dir = testing::scratch_dir("latest");
  testing::write_text(dir / "ratings.csv",
                      "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n");
  testing::write_text(dir / "movies.csv",
                      "movieId,title,genres\n"
                      "1,Toy Story (1995),Adventure|Animation\n"
                      "3,\"American President, The (1995)\",Comedy|Drama|Romance\n"
                      "4,\"Unclosed (1995),Comedy\n");
  auto log = load_raw_log(dir.string(), {});
  EXPECT_EQ(log.format, "ml-latest");
  EXPECT_EQ(log.events.size(), 2u);
  EXPECT_FLOAT_EQ(log.events[1].rating, 4.5f);
  EXPECT_EQ(log.item_meta.at("3").title, "American President, The (1995)");
  EXPECT_EQ(log.item_meta.at("3").genres.size(), 3u);
  EXPECT_EQ(log.report.rows_skipped(), 1u);
}

TEST(Readers, MovieLens100k) {
  auto dir = testing::scratch_dir("ml100k");
  testing::write_text(dir / "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  std::string flags = "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
  testing::write_text(dir / "u.item",
                      "242|Kolya (1996)|24-Jan-1997||http://x" + flags +
                          "\n302|L.A. Confidential "
                          "(1997)|01-Jan-1997||http://y|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|1|0|0\n");
  auto log = load_raw_log(dir.string(), {});
  EXPECT_EQ(log.format, "ml-100k");
  EXPECT_EQ(log.events.size(), 2u);
  const auto& kolya = log.item_meta.at("242");
  EXPECT_EQ(kolya.year, 1996);
  ASSERT_EQ(kolya.genres.size(), 3u);
  EXPECT_EQ(kolya.genres[0], "Animation");
  EXPECT_EQ(log.item_meta.at("302").genres.size(), 2u);
}

TEST(Readers, SequenceFileUsesLineOrder) {
  auto dir = testing::scratch_dir("seq");
  auto path = testing::write_text(dir / "seq.txt", "1 5\n1 3\n2 5\nbroken line here\n1 9\n");
  auto log = load_raw_log(path, {});
  EXPECT_EQ(log.format, "sequence");
  EXPECT_FALSE(log.has_timestamps);
  EXPECT_EQ(log.events.size(), 4u);
  EXPECT_EQ(log.report.rows_skipped(), 1u);
  EXPECT_LT(log.events[0].time, log.events[3].time);
}

TEST(Readers, SequenceFileOneUserPerLine) {
  auto dir = testing::scratch_dir("seq_per_user");
  // The layout of the Amazon files most papers publish: `user item1 item2 ...`, in time order.
  auto path = testing::write_text(dir / "office.txt", "0 7 3 9\n1 3\n2 9 7 3 5\n0 4 4\n3\n");
  auto log = load_raw_log(path, {});
  EXPECT_EQ(log.format, "sequence");
  ASSERT_EQ(log.events.size(), 8u);  // 3 + 1 + 4; the repeated user 0 and the bare user 3 skipped
  EXPECT_EQ(log.report.rows_skipped(), 2u);
  EXPECT_NE(log.report.summary().find("line 1"), std::string::npos);
  std::vector<std::string> user2;
  for (const auto& e : log.events) {
    if (log.user_ids[e.user] == "2") user2.push_back(log.item_ids[e.item]);
  }
  EXPECT_EQ(user2, (std::vector<std::string>{"9", "7", "3", "5"}));
  for (size_t i = 1; i < log.events.size(); ++i) {
    EXPECT_LT(log.events[i - 1].time, log.events[i].time);
  }
  auto dataset = load_dataset(path, [] {
    LoadOptions o;
    o.filters.min_timeline = 1;
    return o;
  }());
  EXPECT_EQ(dataset.timelines.size(), 3u);
}

TEST(Readers, GenericDelimitedWithHeaderNames) {
  auto dir = testing::scratch_dir("generic");
  auto path = testing::write_text(
      dir / "log.tsv", "ts\tuser\tsong\n300\tu1\tsongA\n100\tu1\tsongB\n200\tu2\tsongA\n");
  LoadOptions options;
  options.format = "csv";
  options.columns = parse_column_spec("user=user,item=song,time=ts");
  options.columns.delimiter = '\t';
  options.columns.header = ColumnSpec::Header::kPresent;
  auto dataset = load_dataset(path, [&] {
    auto o = options;
    o.filters.min_timeline = 1;
    return o;
  }());
  ASSERT_EQ(dataset.timelines.size(), 2u);
  // u1's events come back in time order: songB (100) before songA (300).
  EXPECT_EQ(dataset.catalog.item(dataset.timelines[0].items[0]).id, "songB");
}

TEST(Readers, GenericUnknownHeaderColumnIsAnError) {
  auto dir = testing::scratch_dir("generic2");
  auto path = testing::write_text(dir / "log.csv", "a,b\n1,2\n");
  ColumnSpec spec = parse_column_spec("user=a,item=zzz");
  spec.header = ColumnSpec::Header::kPresent;
  RawLog log;
  EXPECT_THROW(read_delimited_log(path, spec, log), Error);
  EXPECT_THROW(parse_column_spec("user=1,colour=2"), Error);
}

TEST(Readers, MissingAndUnknownInputsAreClearErrors) {
  EXPECT_THROW(load_raw_log("/nonexistent/data", {}), Error);
  auto dir = testing::scratch_dir("unknown");
  testing::write_text(dir / "notes.md", "hello");
  EXPECT_THROW(load_raw_log(dir.string(), {}), Error);
  auto empty = testing::scratch_dir("empty");
  testing::write_text(empty / "ratings.dat", "");
  EXPECT_THROW(load_raw_log(empty.string(), {}), Error);
  LoadOptions bad;
  bad.format = "parquet";
  EXPECT_THROW(load_raw_log(empty.string(), bad), Error);
}

}  // namespace pocketrec
