#pragma once
// One reader per log layout. Each appends to a RawLog and reports malformed lines by file:line.
#include <string>

#include "data/raw_log.hpp"

namespace pocketrec {

// MovieLens 1M/10M: "UserID::MovieID::Rating::Timestamp".
void read_movielens_dat_ratings(const std::string& path, RawLog& log);
// MovieLens 1M/10M movies.dat: "MovieID::Title::Genre|Genre" (Latin-1).
void read_movielens_dat_movies(const std::string& path, RawLog& log);
// users.dat (UserID::Gender::Age::Occupation::Zip-code) and ml-100k's u.user (id|age|gender|
// occupation|zip): user attributes for global feature groups.
void read_movielens_dat_users(const std::string& path, RawLog& log);
void read_movielens_100k_users(const std::string& path, RawLog& log);
// MovieLens latest/20M/25M ratings.csv: "userId,movieId,rating,timestamp" with a header.
void read_movielens_csv_ratings(const std::string& path, RawLog& log);
// movies.csv: "movieId,title,genres" with quoted titles.
void read_movielens_csv_movies(const std::string& path, RawLog& log);
// MovieLens 100K u.data: "user \t item \t rating \t timestamp".
void read_movielens_100k_ratings(const std::string& path, RawLog& log);
// u.item: "id|title|release|video release|url|19 genre flags" (Latin-1); genre names from u.genre
// beside it when present.
void read_movielens_100k_items(const std::string& path, RawLog& log);
// "user item" per line in time order (the SASRec form); line order is the time.
void read_sequence_file(const std::string& path, RawLog& log);

// Generic delimited log. Columns are 1-based numbers or header names. With no column given, the
// layout is detected (data/csv_layout.hpp); once user and item are given, an empty time means
// line order and an empty rating means none.
struct ColumnSpec {
  std::string user, item, time, rating;
  char delimiter = 0;  // 0: tab for .tsv, otherwise the commonest of , tab ; | on line 1
  enum class Header { kDetect, kPresent, kAbsent } header = Header::kDetect;
};
void read_delimited_log(const std::string& path, const ColumnSpec& spec, RawLog& log);
// Parses "user=1,item=2,time=4,rating=3" into a spec (delimiter and header set separately);
// user and item are required, a repeated or unknown name is an error.
ColumnSpec parse_column_spec(const std::string& text);

}  // namespace pocketrec
