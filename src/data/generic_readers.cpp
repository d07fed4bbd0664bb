#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/csv.hpp"
#include "data/csv_layout.hpp"
#include "data/line_reader.hpp"
#include "data/readers.hpp"
#include "data/timestamp.hpp"

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
  for (auto part : split(text, ",")) {
    auto pair = split(part, "=");
    if (pair.size() != 2 || trim(pair[1]).empty()) {
      throw Error("--columns '" + text +
                  "': expected name=column pairs, e.g. user=1,item=2,time=4");
    }
    auto key = trim(pair[0]);
    std::string value(trim(pair[1]));
    std::string* slot = key == "user"     ? &spec.user
                        : key == "item"   ? &spec.item
                        : key == "time"   ? &spec.time
                        : key == "rating" ? &spec.rating
                                          : nullptr;
    if (!slot) {
      throw Error("--columns '" + text + "': unknown column '" + std::string(key) +
                  "' (use user, item, time, rating)");
    }
    if (!slot->empty()) {
      throw Error("--columns '" + text + "': '" + std::string(key) + "' is given twice");
    }
    *slot = value;
  }
  if (spec.user.empty() || spec.item.empty()) {
    throw Error("--columns '" + text + "': name both the user and the item column");
  }
  return spec;
}

void read_delimited_log(const std::string& path, const ColumnSpec& spec, RawLog& log) {
  LineReader reader(path);
  // The first two non-empty lines decide the layout, then are read like the rest.
  std::vector<std::pair<size_t, std::string>> head;
  std::string line;
  while (head.size() < 2 && reader.next(line)) {
    if (!trim(line).empty()) head.emplace_back(reader.line_number(), line);
  }
  if (head.empty()) throw Error(path + ": empty file, no interactions");
  const CsvLayout layout = decide_csv_layout(
      path, spec, head[0].second,
      head.size() > 1 ? std::optional<std::string_view>(head[1].second) : std::nullopt);
  // Worth a line only where something was detected rather than given.
  const bool all_given =
      !spec.user.empty() && spec.delimiter != 0 && spec.header != ColumnSpec::Header::kDetect;
  if (!all_given) log.report.note(layout.description);
  log.has_timestamps = layout.time >= 0;
  log.has_ratings = layout.rating >= 0;
  const size_t needed = static_cast<size_t>(layout.needed_fields);
  auto take = [&](const std::string& text, size_t number) {
    if (trim(text).empty()) return;
    auto fields = parse_delimited_line(text, layout.delimiter);
    if (!fields) {
      log.report.skip(path, number, "unclosed quote");
      return;
    }
    if (fields->size() < needed) {
      log.report.skip(path, number,
                      "expected at least " + std::to_string(needed) + " fields, found " +
                          std::to_string(fields->size()));
      return;
    }
    auto user_id = trim((*fields)[layout.user]);
    auto item_id = trim((*fields)[layout.item]);
    if (user_id.empty() || item_id.empty()) {
      log.report.skip(path, number, "empty user or item id");
      return;
    }
    int64_t timestamp = static_cast<int64_t>(number);
    if (layout.time >= 0) {
      auto parsed = parse_timestamp((*fields)[layout.time]);
      if (!parsed) {
        log.report.skip(
            path, number,
            "time '" + (*fields)[layout.time] + "' is neither an integer nor an ISO 8601 date");
        return;
      }
      timestamp = *parsed;
    }
    float value = 0.0f;
    if (layout.rating >= 0) {
      auto parsed = parse_double((*fields)[layout.rating]);
      if (!parsed || !std::isfinite(*parsed)) {
        log.report.skip(path, number, "rating '" + (*fields)[layout.rating] + "' is not a number");
        return;
      }
      value = static_cast<float>(*parsed);
    }
    log.add(user_id, item_id, timestamp, value);
    log.report.count_read();
  };
  for (size_t i = layout.header ? 1 : 0; i < head.size(); ++i) take(head[i].second, head[i].first);
  while (reader.next(line)) take(line, reader.line_number());
}

}  // namespace pocketrec
