// The generic CSV/TSV reader: detected layouts, explicit columns, times, and the input problems
// that used to be read silently wrong (issue "Robustness").
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/dataset_source.hpp"
#include "data/readers.hpp"
#include "data/timestamp.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

RawLog read_csv(const std::string& path, const std::string& columns = "") {
  ColumnSpec spec = columns.empty() ? ColumnSpec{} : parse_column_spec(columns);
  RawLog log;
  read_delimited_log(path, spec, log);
  return log;
}

LoadOptions one_event_users() {
  LoadOptions options;
  options.filters.min_timeline = 1;
  return options;
}

}  // namespace

TEST(Timestamp, IntegersAndIso8601Dates) {
  EXPECT_EQ(parse_timestamp("1260759144"), 1260759144);
  EXPECT_EQ(parse_timestamp(" -5 "), -5);
  EXPECT_EQ(parse_timestamp("1970-01-02"), 86400);
  EXPECT_EQ(parse_timestamp("2000-03-01"), 951868800);
  EXPECT_EQ(parse_timestamp("2000-03-01 01:02:03"), 951868800 + 3723);
  EXPECT_EQ(parse_timestamp("2000-03-01T01:02:03.250Z"), 951868800 + 3723);
  EXPECT_EQ(parse_timestamp("2000-03-01T01:02"), 951868800 + 3720);
  EXPECT_EQ(parse_timestamp("2000-03-01T02:00:00+01:00"), 951868800 + 3600);
  EXPECT_EQ(parse_timestamp("2000-03-01T00:00:00-00:30"), 951868800 + 1800);
  for (const char* bad : {"", "2.5", "2000-02-30", "2000-13-01", "2000-03-01X", "2000-03-01T25:00",
                          "2000-03-01T01:02:03.", "yesterday", "2000-3-1"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

TEST(CsvLayout, HeaderNamesGiveEveryColumn) {
  auto dir = testing::scratch_dir("csv_header");
  // A shuffled log: only the timestamp column gives the order.
  auto path = testing::write_text(dir / "log.csv",
                                  "userId,movieId,rating,timestamp\n"
                                  "1,30,4.5,300\n1,10,2.0,100\n1,20,5.0,200\n");
  auto log = read_csv(path);
  EXPECT_TRUE(log.has_timestamps);
  EXPECT_TRUE(log.has_ratings);
  ASSERT_EQ(log.events.size(), 3u);  // the header is not an interaction
  EXPECT_EQ(log.events[0].time, 300);
  EXPECT_FLOAT_EQ(log.events[0].rating, 4.5f);
  ASSERT_EQ(log.report.notes().size(), 1u);
  EXPECT_NE(log.report.notes()[0].find("time=4 (timestamp)"), std::string::npos)
      << log.report.notes()[0];
  auto dataset = load_dataset(path, [] {
    auto o = one_event_users();
    o.format = "csv";
    o.filters.min_rating = 3;
    return o;
  }());
  // Time order, and --min-rating applied: item 10 (rated 2) is gone, 20 (t=200) before 30.
  ASSERT_EQ(dataset.timelines.size(), 1u);
  ASSERT_EQ(dataset.timelines[0].items.size(), 2u);
  EXPECT_EQ(dataset.catalog.item(dataset.timelines[0].items[0]).id, "20");
  EXPECT_EQ(dataset.catalog.item(dataset.timelines[0].items[1]).id, "30");
}

TEST(CsvLayout, HeaderDetectedFromValuesAndDelimiterFromTheLine) {
  auto dir = testing::scratch_dir("csv_detect");
  auto path =
      testing::write_text(dir / "log.txt.csv", "who;what;when\nu1;a;2024-01-02\nu1;b;2024-01-01\n");
  auto log = read_csv(path, "user=who,item=what,time=when");
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].time, *parse_timestamp("2024-01-02"));
  // Unknown names without --columns: a clear error naming the file and the header.
  try {
    read_csv(path);
    FAIL() << "an unknown header was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log.txt.csv:1:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("who,what,when"), std::string::npos) << e.what();
  }
}

TEST(CsvLayout, HeaderlessColumnsGuessedFromValues) {
  auto dir = testing::scratch_dir("csv_noheader");
  // MovieLens order without a header: user, item, rating, unix time.
  auto path =
      testing::write_text(dir / "log.tsv", "1\t31\t2.5\t1260759144\n1\t29\t3\t1260759100\n");
  auto log = read_csv(path);
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_TRUE(log.has_timestamps);
  EXPECT_TRUE(log.has_ratings);
  EXPECT_EQ(log.events[0].time, 1260759144);
  EXPECT_FLOAT_EQ(log.events[0].rating, 2.5f);
  // Two columns: line order is the time, and the note says so.
  auto pairs = testing::write_text(dir / "pairs.csv", "u1,a\nu1,b\n");
  auto plain = read_csv(pairs);
  EXPECT_FALSE(plain.has_timestamps);
  EXPECT_NE(plain.report.notes()[0].find("line order"), std::string::npos);
}

TEST(CsvLayout, ExplicitColumnsAreHonouredAndChecked) {
  auto dir = testing::scratch_dir("csv_explicit");
  auto path = testing::write_text(dir / "log.csv", "5,u1,a,1\n4,u1,b,2\n");
  auto log = read_csv(path, "user=2,item=3,time=1,rating=4");
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].time, 5);
  EXPECT_FLOAT_EQ(log.events[1].rating, 2.0f);
  EXPECT_THROW(parse_column_spec("garbage"), Error);
  EXPECT_THROW(parse_column_spec("user=1"), Error);
  EXPECT_THROW(parse_column_spec("user=1,item=2,user=3"), Error);
  EXPECT_THROW(read_csv(path, "user=1,item=1"), Error);
  EXPECT_THROW(read_csv(path, "user=0,item=2"), Error);
  // Names need a header line.
  ColumnSpec named = parse_column_spec("user=u,item=i");
  named.header = ColumnSpec::Header::kAbsent;
  RawLog unused;
  EXPECT_THROW(read_delimited_log(path, named, unused), Error);
}

TEST(CsvLayout, CsvOptionsOnAnotherFormatAreAnError) {
  auto dir = testing::scratch_dir("csv_other");
  testing::write_text(dir / "ratings.dat", "1::2::5::100\n1::3::4::101\n1::4::3::102\n");
  LoadOptions options;
  options.columns = parse_column_spec("user=1,item=2");
  EXPECT_THROW(load_raw_log(dir.string(), options), Error);
}

TEST(CsvLayout, MinRatingWithoutRatingsIsAnError) {
  auto dir = testing::scratch_dir("csv_norating");
  auto path = testing::write_text(dir / "log.csv", "user,item\nu1,a\nu1,b\n");
  auto options = one_event_users();
  options.filters.min_rating = 4;
  try {
    load_dataset(path, options);
    FAIL() << "--min-rating without ratings was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--min-rating"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("log.csv"), std::string::npos) << e.what();
  }
}

TEST(CsvLayout, ExactDuplicateRowsAreDroppedAndCounted) {
  auto dir = testing::scratch_dir("csv_dups");
  auto path = testing::write_text(dir / "log.csv",
                                  "user,item,time\nu1,a,1\nu1,b,2\nu1,a,1\nu1,b,2\nu1,a,3\n");
  auto dataset = load_dataset(path, one_event_users());
  ASSERT_EQ(dataset.timelines.size(), 1u);
  EXPECT_EQ(dataset.timelines[0].items.size(), 3u);  // a@1, b@2, a@3: the re-watch stays
  EXPECT_NE(dataset.report.summary().find("filtered 2 exact duplicate rows"), std::string::npos)
      << dataset.report.summary();
}

TEST(CsvLayout, BinaryAndOverlongInputsAreRefused) {
  auto dir = testing::scratch_dir("csv_binary");
  std::string binary = "1,2\n";
  binary += std::string(
      "\x7f"
      "ELF\0\x01\x02",
      7);
  binary += "\n3,4\n";
  auto path = testing::write_text(dir / "blob.csv", binary);
  try {
    read_csv(path);
    FAIL() << "a binary file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blob.csv:2: binary data"), std::string::npos) << e.what();
  }
  auto empty = testing::write_text(dir / "empty.csv", "\n\n");
  EXPECT_THROW(read_csv(empty), Error);
}

TEST(CsvLayout, NotEnoughUsersNamesTheFile) {
  auto dir = testing::scratch_dir("csv_few");
  auto path = testing::write_text(dir / "few.csv", "user,item,time\nu1,a,1\n");
  try {
    load_dataset(path, {});
    FAIL() << "a one-event log passed min-length 3";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("few.csv: no user has at least 3"), std::string::npos)
        << e.what();
  }
}

}  // namespace pocketrec
