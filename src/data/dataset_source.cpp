#include "data/dataset_source.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "data/line_reader.hpp"

namespace fs = std::filesystem;

namespace pocketrec {
namespace {

// The first file in `folder` whose name starts with `prefix` and ends with one of `suffixes`.
std::string find_file(const fs::path& folder, const std::string& prefix,
                      const std::vector<std::string>& suffixes) {
  std::vector<std::string> matches;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    auto name = entry.path().filename().string();
    if (!starts_with(name, prefix)) continue;
    for (const auto& suffix : suffixes) {
      if (ends_with(name, suffix)) matches.push_back(entry.path().string());
    }
  }
  std::sort(matches.begin(), matches.end());
  return matches.empty() ? "" : matches.front();
}

// `path` itself, else its .gz copy, else "".
std::string plain_or_gzip(const fs::path& path) {
  if (fs::exists(path)) return path.string();
  if (fs::exists(path.string() + ".gz")) return path.string() + ".gz";
  return "";
}

// A sequence folder (e.g. ml-1m-sasrec) holds one big "user item" file among small id maps.
std::string find_sequence_file(const fs::path& folder) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    auto name = entry.path().filename().string();
    bool text = ends_with(name, ".txt") || ends_with(name, ".txt.gz");
    if (!text || starts_with(name, "sas_to_") || name.find("users") != std::string::npos) continue;
    auto size = entry.file_size();
    // Prefer the plain file when both it and its .gz copy are present.
    if (ends_with(name, ".gz")) size /= 8;
    if (size > best_size) {
      best = entry.path().string();
      best_size = size;
    }
  }
  return best;
}

std::string ratings_file(const fs::path& folder, const std::string& format) {
  std::string file;
  if (format == "ml-1m") file = find_file(folder, "ratings", {".dat", ".dat.gz"});
  if (format == "ml-latest") file = find_file(folder, "ratings", {".csv", ".csv.gz"});
  if (format == "ml-100k") file = find_file(folder, "u.data", {"u.data", ".gz"});
  if (format == "sequence") file = find_sequence_file(folder);
  if (format == "prepared") file = (folder / "events.tsv").string();
  if (file.empty() || !fs::exists(file)) {
    throw Error(folder.string() + ": no ratings file for format " + format);
  }
  return file;
}

void read_prepared_items(const std::string& path, RawLog& log) {
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    auto fields = split(line, "\t");
    if (fields.size() != 4) {
      log.report.skip(path, reader.line_number(), "expected id, title, genres, year");
      continue;
    }
    ItemMeta meta;
    meta.title = std::string(fields[1]);
    for (auto genre : split(fields[2], "|")) {
      if (!genre.empty()) meta.genres.emplace_back(genre);
    }
    meta.year = static_cast<int>(parse_int(fields[3]).value_or(0));
    log.item_meta[std::string(fields[0])] = std::move(meta);
  }
}

// users.tsv: a header "user<TAB>attribute..." then one line per user.
void read_prepared_users(const std::string& path, RawLog& log) {
  LineReader reader(path);
  std::string line;
  size_t columns = 0;
  while (reader.next(line)) {
    auto fields = split(line, "\t");
    if (reader.line_number() == 1) {
      for (size_t f = 1; f < fields.size(); ++f) log.user_attribute_names.emplace_back(fields[f]);
      columns = fields.size();
      continue;
    }
    if (fields.size() != columns) {
      log.report.skip(path, reader.line_number(),
                      "expected " + std::to_string(columns) + " fields, found " +
                          std::to_string(fields.size()));
      continue;
    }
    std::vector<std::string> values(fields.begin() + 1, fields.end());
    log.user_meta[std::string(fields[0])] = std::move(values);
  }
}

}  // namespace

const std::vector<std::string>& known_formats() {
  static const std::vector<std::string> formats = {"auto",     "ml-1m", "ml-latest", "ml-100k",
                                                   "sequence", "csv",   "prepared"};
  return formats;
}

std::string detect_format(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path + ": no such file or folder");
  if (fs::is_directory(path, ec)) {
    fs::path folder(path);
    if (fs::exists(folder / "manifest.json")) return "prepared";
    if (!find_file(folder, "ratings", {".dat", ".dat.gz"}).empty()) return "ml-1m";
    if (!find_file(folder, "ratings", {".csv", ".csv.gz"}).empty()) return "ml-latest";
    if (fs::exists(folder / "u.data") || fs::exists(folder / "u.data.gz")) return "ml-100k";
    if (!find_sequence_file(folder).empty()) return "sequence";
    throw Error(path +
                ": unknown dataset layout (expected MovieLens ratings.dat, ratings.csv, u.data, a "
                "'user item' .txt file or a prepared dataset); use --format to force one");
  }
  auto name = fs::path(path).filename().string();
  if (ends_with(name, ".gz")) name = name.substr(0, name.size() - 3);
  if (ends_with(name, ".dat")) return "ml-1m";
  if (name == "u.data") return "ml-100k";
  if (ends_with(name, ".csv")) {
    LineReader reader(path);
    std::string first;
    reader.next(first);
    if (starts_with(first, "userId,movieId")) return "ml-latest";
    return "csv";
  }
  if (ends_with(name, ".tsv")) return "csv";
  return "sequence";
}

RawLog load_raw_log(const std::string& path, const LoadOptions& options,
                    std::function<void(const RawEvent&)> sink) {
  auto format = options.format == "auto" ? detect_format(path) : options.format;
  if (std::find(known_formats().begin(), known_formats().end(), format) == known_formats().end()) {
    throw Error("unknown format '" + format + "' (known: " + join(known_formats(), ", ") + ")");
  }
  const auto& columns = options.columns;
  if (format != "csv" && (!columns.user.empty() || columns.delimiter != 0 ||
                          columns.header != ColumnSpec::Header::kDetect)) {
    throw Error(path + " is read as format '" + format +
                "': --columns, --delimiter and --header apply to --format csv");
  }
  if (format == "prepared" && fs::is_directory(path) && prepared_version(path) == 2) {
    throw Error(path + " is already prepared (sharded): train and eval read it directly");
  }
  RawLog log;
  log.format = format;
  log.report = ReadReport(options.strict);
  log.sink = std::move(sink);
  bool folder = fs::is_directory(path);
  fs::path base = folder ? fs::path(path) : fs::path(path).parent_path();
  if (base.empty()) base = ".";
  std::string ratings = folder ? ratings_file(path, format) : path;

  if (format == "ml-1m") {
    read_movielens_dat_ratings(ratings, log);
    if (auto movies = find_file(base, "movies", {".dat", ".dat.gz"}); !movies.empty()) {
      read_movielens_dat_movies(movies, log);
    }
    if (auto users = find_file(base, "users", {".dat", ".dat.gz"}); !users.empty()) {
      read_movielens_dat_users(users, log);
    }
  } else if (format == "ml-latest") {
    read_movielens_csv_ratings(ratings, log);
    if (auto movies = find_file(base, "movies", {".csv", ".csv.gz"}); !movies.empty()) {
      read_movielens_csv_movies(movies, log);
    }
  } else if (format == "ml-100k") {
    read_movielens_100k_ratings(ratings, log);
    if (auto items = plain_or_gzip(base / "u.item"); !items.empty()) {
      read_movielens_100k_items(items, log);
    }
    if (auto users = plain_or_gzip(base / "u.user"); !users.empty()) {
      read_movielens_100k_users(users, log);
    }
  } else if (format == "sequence") {
    read_sequence_file(ratings, log);
  } else if (format == "prepared") {
    ColumnSpec spec{"1", "2", "3", "4", '\t', ColumnSpec::Header::kAbsent};
    read_delimited_log(ratings, spec, log);
    auto manifest =
        nlohmann::json::parse(read_whole_file((base / "manifest.json").string()), nullptr, false);
    if (manifest.is_discarded()) throw Error((base / "manifest.json").string() + ": not JSON");
    log.has_timestamps = manifest.value("has_timestamps", true);
    log.has_ratings = manifest.value("has_ratings", true);
    read_prepared_items((base / "items.tsv").string(), log);
    if (fs::exists(base / "users.tsv")) read_prepared_users((base / "users.tsv").string(), log);
  } else {
    if (folder) throw Error(path + ": --format csv needs a file, not a folder");
    read_delimited_log(path, options.columns, log);
  }
  if (log.added == 0) {
    throw Error(path + ": no valid interactions found (" + log.report.summary() + ")");
  }
  if (!log.has_ratings && options.filters.min_rating > -1e29) {
    throw Error(path + ": --min-rating needs ratings, and this log has none" +
                (log.format == "csv" ? " (name the rating column: --columns ...,rating=N)" : ""));
  }
  return log;
}

Dataset load_dataset(const std::string& path, const LoadOptions& options) {
  const auto format = options.format == "auto" ? detect_format(path) : options.format;
  if (format == "prepared" && fs::is_directory(path) && prepared_version(path) == 2) {
    return read_prepared(path, options.filters, options.part);
  }
  if (options.part.parts > 1) {
    throw Error(path +
                ": reading a part of the users needs a sharded prepared dataset (prepare "
                "--shards N --out DIR)");
  }
  auto log = load_raw_log(path, options);
  try {
    return build_dataset(std::move(log), options.filters);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

void write_prepared_dataset(const Dataset& dataset, const std::string& folder, size_t shards,
                            const DatasetFilters& applied) {
  std::vector<uint32_t> lengths;
  for (const auto& timeline : dataset.timelines) {
    lengths.push_back(static_cast<uint32_t>(timeline.items.size()));
  }
  PreparedMeta meta{dataset.format, dataset.has_timestamps, dataset.has_ratings, applied,
                    dataset.user_attribute_names};
  PreparedWriter writer(folder, balance_shards(lengths, shards), meta, dataset.catalog);
  for (const auto& timeline : dataset.timelines) writer.add(timeline);
  writer.finish();
}

}  // namespace pocketrec
