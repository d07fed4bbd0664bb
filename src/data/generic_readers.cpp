#include <algorithm>
#include <unordered_map>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/csv.hpp"
#include "data/line_reader.hpp"
#include "data/readers.hpp"

namespace pocketrec {

namespace {

// Sequence files come in two layouts: one `user item` pair per line (SASRec's ml-1m.txt) or one
// user per line with the whole history on it (`user item1 item2 ...`, how most sequential
// recommendation papers publish their data). The first lines decide: a majority of lines with
// more than two fields means one user per line.
constexpr size_t kLayoutSampleLines = 100;

bool one_user_per_line(const std::vector<std::vector<std::string_view>>& sample) {
  size_t long_lines = 0;
  for (const auto& fields : sample) long_lines += fields.size() > 2;
  return 2 * long_lines > sample.size();
}

}  // namespace

void read_sequence_file(const std::string& path, RawLog& log) {
  LineReader reader(path);
  log.has_timestamps = false;
  log.has_ratings = false;
  std::vector<std::string> sample_lines;
  std::vector<size_t> sample_numbers;
  std::string line;
  while (sample_lines.size() < kLayoutSampleLines && reader.next(line)) {
    if (split_whitespace(line).empty()) continue;
    sample_lines.push_back(line);
    sample_numbers.push_back(reader.line_number());
  }
  std::vector<std::vector<std::string_view>> sample;
  for (const auto& l : sample_lines) sample.push_back(split_whitespace(l));
  const bool per_user = one_user_per_line(sample);
  // Line order is the only order these files have: every interaction gets the next tick.
  int64_t tick = 0;
  std::unordered_map<std::string, size_t> user_line;  // per-user layout: where each user was
  auto take = [&](const std::vector<std::string_view>& fields, size_t number) {
    if (fields.empty()) return;
    if (!per_user) {
      if (fields.size() != 2) {
        log.report.skip(path, number,
                        "expected 'user item', found " + std::to_string(fields.size()) + " fields");
        return;
      }
      log.add(fields[0], fields[1], ++tick, 0.0f);
      log.report.count_read();
      return;
    }
    if (fields.size() < 2) {
      log.report.skip(path, number, "expected 'user item1 item2 ...', found a user without items");
      return;
    }
    auto [seen, inserted] = user_line.try_emplace(std::string(fields[0]), number);
    if (!inserted) {
      log.report.skip(path, number,
                      "user '" + std::string(fields[0]) + "' already had its line (line " +
                          std::to_string(seen->second) + ") in this one-user-per-line file");
      return;
    }
    for (size_t i = 1; i < fields.size(); ++i) log.add(fields[0], fields[i], ++tick, 0.0f);
    log.report.count_read(fields.size() - 1);
  };
  for (size_t i = 0; i < sample.size(); ++i) take(sample[i], sample_numbers[i]);
  while (reader.next(line)) take(split_whitespace(line), reader.line_number());
}

ColumnSpec parse_column_spec(const std::string& text) {
  ColumnSpec spec;
  spec.time.clear();
  spec.rating.clear();
  for (auto part : split(text, ",")) {
    auto pair = split(part, "=");
    if (pair.size() != 2 || trim(pair[1]).empty()) {
      throw Error("column spec '" + text +
                  "': expected name=column pairs, e.g. user=1,item=2,time=4");
    }
    auto key = trim(pair[0]);
    std::string value(trim(pair[1]));
    if (key == "user") {
      spec.user = value;
    } else if (key == "item") {
      spec.item = value;
    } else if (key == "time") {
      spec.time = value;
    } else if (key == "rating") {
      spec.rating = value;
    } else {
      throw Error("column spec '" + text + "': unknown column '" + std::string(key) +
                  "' (use user, item, time, rating)");
    }
  }
  return spec;
}

namespace {

// Resolves a 1-based column number or a header name to a 0-based index; -1 for "not used".
int resolve_column(const std::string& column, const std::vector<std::string>& header,
                   const std::string& path) {
  if (column.empty()) return -1;
  if (auto number = parse_int(column)) {
    if (*number < 1) throw Error(path + ": column numbers start at 1, got " + column);
    return static_cast<int>(*number - 1);
  }
  auto it = std::find(header.begin(), header.end(), column);
  if (it == header.end()) {
    throw Error(path + ":1: column '" + column + "' is not in the header (" + join(header, ",") +
                ")");
  }
  return static_cast<int>(it - header.begin());
}

}  // namespace

void read_delimited_log(const std::string& path, const ColumnSpec& spec, RawLog& log) {
  LineReader reader(path);
  std::string line;
  std::vector<std::string> header;
  if (spec.header) {
    if (!reader.next(line)) throw Error(path + ": empty file, expected a header line");
    auto fields = parse_delimited_line(line, spec.delimiter);
    if (!fields) throw input_error(path, 1, "unclosed quote in header");
    for (auto& field : *fields) header.emplace_back(trim(field));
  }
  int user = resolve_column(spec.user, header, path);
  int item = resolve_column(spec.item, header, path);
  int time = resolve_column(spec.time, header, path);
  int rating = resolve_column(spec.rating, header, path);
  if (user < 0 || item < 0) throw Error(path + ": the user and item columns are required");
  int needed = std::max({user, item, time, rating}) + 1;
  log.has_timestamps = time >= 0;
  log.has_ratings = rating >= 0;
  while (reader.next(line)) {
    if (trim(line).empty()) continue;
    auto fields = parse_delimited_line(line, spec.delimiter);
    if (!fields) {
      log.report.skip(path, reader.line_number(), "unclosed quote");
      continue;
    }
    if (static_cast<int>(fields->size()) < needed) {
      log.report.skip(path, reader.line_number(),
                      "expected at least " + std::to_string(needed) + " fields, found " +
                          std::to_string(fields->size()));
      continue;
    }
    auto user_id = trim((*fields)[user]);
    auto item_id = trim((*fields)[item]);
    if (user_id.empty() || item_id.empty()) {
      log.report.skip(path, reader.line_number(), "empty user or item id");
      continue;
    }
    int64_t timestamp = static_cast<int64_t>(reader.line_number());
    if (time >= 0) {
      auto parsed = parse_int((*fields)[time]);
      if (!parsed) {
        log.report.skip(path, reader.line_number(),
                        "timestamp '" + (*fields)[time] + "' is not an integer");
        continue;
      }
      timestamp = *parsed;
    }
    float value = 0.0f;
    if (rating >= 0) {
      auto parsed = parse_double((*fields)[rating]);
      if (!parsed) {
        log.report.skip(path, reader.line_number(),
                        "rating '" + (*fields)[rating] + "' is not a number");
        continue;
      }
      value = static_cast<float>(*parsed);
    }
    log.add(user_id, item_id, timestamp, value);
    log.report.count_read();
  }
}

}  // namespace pocketrec
