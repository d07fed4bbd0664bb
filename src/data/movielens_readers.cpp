#include <array>
#include <filesystem>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/csv.hpp"
#include "data/line_reader.hpp"
#include "data/readers.hpp"

namespace pocketrec {
namespace {

// Shared by the three rating layouts once a line is split into its four fields.
void add_rating(RawLog& log, const std::string& file, size_t line_number,
                const std::vector<std::string_view>& fields) {
  if (fields.size() != 4) {
    log.report.skip(file, line_number,
                    "expected 4 fields (user, item, rating, timestamp), found " +
                        std::to_string(fields.size()));
    return;
  }
  auto user = trim(fields[0]);
  auto item = trim(fields[1]);
  auto rating = parse_double(fields[2]);
  auto time = parse_int(fields[3]);
  if (user.empty() || item.empty()) {
    log.report.skip(file, line_number, "empty user or item id");
  } else if (!rating) {
    log.report.skip(file, line_number, "rating '" + std::string(fields[2]) + "' is not a number");
  } else if (!time) {
    log.report.skip(file, line_number,
                    "timestamp '" + std::string(fields[3]) + "' is not an integer");
  } else {
    log.add(user, item, *time, static_cast<float>(*rating));
    log.report.count_read();
  }
}

std::vector<std::string> split_genres(std::string_view text) {
  std::vector<std::string> genres;
  for (auto genre : split(text, "|")) {
    genre = trim(genre);
    if (!genre.empty() && genre != "(no genres listed)") genres.emplace_back(genre);
  }
  return genres;
}

void add_movie(RawLog& log, std::string_view id, std::string title, std::string_view genres) {
  ItemMeta meta;
  meta.year = year_from_title(title);
  meta.title = std::move(title);
  meta.genres = split_genres(genres);
  log.item_meta[std::string(trim(id))] = std::move(meta);
}

// The three MovieLens rating layouts differ only in separator and header.
void read_rating_lines(const std::string& path, std::string_view separator,
                       std::string_view header_prefix, RawLog& log) {
  LineReader reader(path);
  std::string line;
  bool first = true;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    if (first) {
      first = false;
      if (!header_prefix.empty() && starts_with(trim(line), header_prefix)) continue;
    }
    add_rating(log, path, reader.line_number(), split(line, separator));
  }
}

}  // namespace

void read_movielens_dat_ratings(const std::string& path, RawLog& log) {
  read_rating_lines(path, "::", "", log);
}

void read_movielens_dat_movies(const std::string& path, RawLog& log) {
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    auto fields = split(line, "::");
    if (fields.size() != 3 || trim(fields[0]).empty()) {
      log.report.skip(path, reader.line_number(), "expected MovieID::Title::Genres");
      continue;
    }
    add_movie(log, fields[0], latin1_to_utf8(trim(fields[1])), fields[2]);
  }
}

namespace {

// Both user layouts: `order` gives, for gender, age, occupation and zip, the field holding it.
void read_user_lines(const std::string& path, std::string_view separator,
                     const std::array<size_t, 4>& order, RawLog& log) {
  log.user_attribute_names = {"gender", "age", "occupation", "zip"};
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    auto fields = split(line, separator);
    if (fields.size() != 5 || trim(fields[0]).empty()) {
      log.report.skip(path, reader.line_number(),
                      "expected 5 user fields (id, gender, age, occupation, zip), found " +
                          std::to_string(fields.size()));
      continue;
    }
    std::vector<std::string> attributes;
    for (size_t field : order) attributes.emplace_back(trim(fields[field]));
    log.user_meta[std::string(trim(fields[0]))] = std::move(attributes);
  }
}

}  // namespace

void read_movielens_dat_users(const std::string& path, RawLog& log) {
  read_user_lines(path, "::", {1, 2, 3, 4}, log);
}

void read_movielens_100k_users(const std::string& path, RawLog& log) {
  read_user_lines(path, "|", {2, 1, 3, 4}, log);
}

void read_movielens_csv_ratings(const std::string& path, RawLog& log) {
  read_rating_lines(path, ",", "userId", log);
}

void read_movielens_csv_movies(const std::string& path, RawLog& log) {
  LineReader reader(path);
  std::string line;
  bool first = true;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    if (first) {
      first = false;
      if (starts_with(trim(line), "movieId")) continue;
    }
    auto fields = parse_delimited_line(line, ',');
    if (!fields) {
      log.report.skip(path, reader.line_number(), "unclosed quote");
    } else if (fields->size() != 3 || trim((*fields)[0]).empty()) {
      log.report.skip(
          path, reader.line_number(),
          "expected movieId,title,genres, found " + std::to_string(fields->size()) + " fields");
    } else {
      add_movie(log, (*fields)[0], latin1_to_utf8(trim((*fields)[1])), (*fields)[2]);
    }
  }
}

void read_movielens_100k_ratings(const std::string& path, RawLog& log) {
  read_rating_lines(path, "\t", "", log);
}

void read_movielens_100k_items(const std::string& path, RawLog& log) {
  static const std::vector<std::string> kDefaultGenres = {
      "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
      "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
      "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};
  std::vector<std::string> genre_names = kDefaultGenres;
  auto genre_file = std::filesystem::path(path).parent_path() / "u.genre";
  if (!std::filesystem::exists(genre_file)) genre_file += ".gz";
  if (std::filesystem::exists(genre_file)) {
    genre_names.clear();
    LineReader genres(genre_file.string());
    std::string line;
    while (genres.next(line)) {
      auto fields = split(line, "|");
      if (fields.size() == 2 && !trim(fields[0]).empty()) genre_names.emplace_back(trim(fields[0]));
    }
  }
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    auto fields = split(line, "|");
    if (fields.size() != 5 + genre_names.size() || trim(fields[0]).empty()) {
      log.report.skip(path, reader.line_number(),
                      "expected " + std::to_string(5 + genre_names.size()) + " '|' fields, found " +
                          std::to_string(fields.size()));
      continue;
    }
    ItemMeta meta;
    meta.title = latin1_to_utf8(trim(fields[1]));
    meta.year = year_from_title(meta.title);
    for (size_t g = 0; g < genre_names.size(); ++g) {
      if (trim(fields[5 + g]) == "1" && genre_names[g] != "unknown") {
        meta.genres.push_back(genre_names[g]);
      }
    }
    log.item_meta[std::string(trim(fields[0]))] = std::move(meta);
  }
}

}  // namespace pocketrec
