#include "data/csv_layout.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/csv.hpp"
#include "data/timestamp.hpp"

namespace pocketrec {
namespace {

// "User_ID", "user-id" and "userId" name the same column.
std::string normalized_name(std::string_view name) {
  std::string out;
  for (char c : trim(name)) {
    if (c == '_' || c == '-' || c == ' ' || c == '"') continue;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

// Column names that public interaction logs use (MovieLens, Amazon reviews, RetailRocket,
// Last.fm, Book-Crossing, Goodreads, ...), normalized.
constexpr std::array kUserNames = {"user",      "userid",   "uid",        "customer",  "customerid",
                                   "visitorid", "reviewer", "reviewerid", "member",    "memberid",
                                   "client",    "clientid", "account",    "accountid", "sessionid"};
constexpr std::array kItemNames = {
    "item",    "itemid",    "iid",   "movie",   "movieid",   "product",  "productid", "asin",
    "song",    "songid",    "track", "trackid", "book",      "bookid",   "isbn",      "sku",
    "article", "articleid", "video", "videoid", "contentid", "artistid", "traid",     "artist"};
constexpr std::array kTimeNames = {"timestamp", "time",        "ts",         "date",
                                   "datetime",  "eventtime",   "unixtime",   "unixreviewtime",
                                   "createdat", "timestampms", "reviewtime", "dateadded"};
constexpr std::array kRatingNames = {"rating", "score", "stars", "overall", "rate", "bookrating"};

template <size_t N>
int find_named(const std::vector<std::string>& header, const std::array<const char*, N>& names) {
  for (const char* name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (normalized_name(header[i]) == name) return static_cast<int>(i);
    }
  }
  return -1;
}

bool is_number(std::string_view field) {
  return parse_double(field).has_value();
}

// A column value that can only be a time: a date, or an integer large enough to be unix seconds
// after 1973 (or milliseconds).
bool looks_like_time(std::string_view field) {
  auto number = parse_int(field);
  if (number) return *number >= 100'000'000;
  return parse_timestamp(field).has_value();
}

bool looks_like_header(const std::vector<std::string>& first,
                       const std::optional<std::vector<std::string>>& second) {
  std::vector<std::string> names(first.begin(), first.end());
  if (find_named(names, kUserNames) >= 0 || find_named(names, kItemNames) >= 0) return true;
  if (!second) return false;
  // A column that holds numbers (or times) on line 2 but not on line 1.
  for (size_t i = 0; i < std::min(first.size(), second->size()); ++i) {
    const bool value_below = is_number((*second)[i]) || parse_timestamp((*second)[i]);
    const bool value_here = is_number(first[i]) || parse_timestamp(first[i]);
    if (value_below && !value_here && !trim(first[i]).empty()) return true;
  }
  return false;
}

char sniff_delimiter(const std::string& path, std::string_view line) {
  std::string_view name = path;
  if (ends_with(name, ".gz")) name.remove_suffix(3);
  if (ends_with(name, ".tsv")) return '\t';
  char best = ',';
  long best_count = 0;
  for (char candidate : {',', '\t', ';', '|'}) {
    const long count = std::count(line.begin(), line.end(), candidate);
    if (count > best_count) {
      best = candidate;
      best_count = count;
    }
  }
  return best;
}

std::string delimiter_name(char c) {
  if (c == '\t') return "tab";
  return std::string("'") + c + "'";
}

int resolve_given(const std::string& column, const std::vector<std::string>& header,
                  const std::string& path, const char* role) {
  if (column.empty()) return -1;
  if (auto number = parse_int(column)) {
    if (*number < 1 || *number > 100000) {
      throw Error("--columns " + std::string(role) + "=" + column +
                  ": column numbers start at 1 (and stop at 100000)");
    }
    return static_cast<int>(*number - 1);
  }
  auto it = std::find(header.begin(), header.end(), column);
  if (it == header.end()) {
    if (header.empty()) {
      throw Error(path + ": --columns names the column '" + column +
                  "', but the file has no header line (give --header, or column numbers)");
    }
    throw input_error(path, 1,
                      "column '" + column + "' is not in the header (" + join(header, ",") + ")");
  }
  return static_cast<int>(it - header.begin());
}

std::string describe_column(const char* role, int column, const std::vector<std::string>& header) {
  std::string text = std::string(role) + "=" + std::to_string(column + 1);
  if (column < static_cast<int>(header.size())) text += " (" + header[column] + ")";
  return text;
}

}  // namespace

CsvLayout decide_csv_layout(const std::string& path, const ColumnSpec& spec, std::string_view first,
                            std::optional<std::string_view> second) {
  CsvLayout layout;
  layout.delimiter = spec.delimiter ? spec.delimiter : sniff_delimiter(path, first);
  auto first_fields = parse_delimited_line(first, layout.delimiter);
  if (!first_fields) throw input_error(path, 1, "unclosed quote");
  std::optional<std::vector<std::string>> second_fields;
  if (second) second_fields = parse_delimited_line(*second, layout.delimiter);

  const bool given =
      !spec.user.empty() || !spec.item.empty() || !spec.time.empty() || !spec.rating.empty();
  if (given && (spec.user.empty() || spec.item.empty())) {
    throw Error("--columns must name both the user and the item column, e.g. user=1,item=2");
  }
  bool names_given = false;
  for (const auto* column : {&spec.user, &spec.item, &spec.time, &spec.rating}) {
    names_given |= !column->empty() && !parse_int(*column);
  }
  std::string how_header;
  switch (spec.header) {
    case ColumnSpec::Header::kPresent:
      layout.header = true;
      how_header = "--header";
      break;
    case ColumnSpec::Header::kAbsent:
      layout.header = false;
      how_header = "--no-header";
      break;
    case ColumnSpec::Header::kDetect:
      layout.header = names_given || looks_like_header(*first_fields, second_fields);
      how_header = "detected";
      break;
  }
  std::vector<std::string> header;
  if (layout.header) {
    for (const auto& field : *first_fields) header.emplace_back(trim(field));
  }

  std::string how_columns;
  if (given) {
    layout.user = resolve_given(spec.user, header, path, "user");
    layout.item = resolve_given(spec.item, header, path, "item");
    layout.time = resolve_given(spec.time, header, path, "time");
    layout.rating = resolve_given(spec.rating, header, path, "rating");
    how_columns = "--columns";
  } else if (layout.header) {
    layout.user = find_named(header, kUserNames);
    layout.item = find_named(header, kItemNames);
    layout.time = find_named(header, kTimeNames);
    layout.rating = find_named(header, kRatingNames);
    if (layout.user < 0 || layout.item < 0) {
      throw input_error(path, 1,
                        "the header (" + join(header, ",") +
                            ") names no user or no item column that pocketrec knows; say which "
                            "with --columns user=NAME,item=NAME[,time=NAME][,rating=NAME]");
    }
    how_columns = "from the header names";
  } else {
    // No header: user and item first, then a time (a date or unix-time-sized integer) and a
    // rating (another number) wherever they are; printed, so a wrong guess is seen.
    const auto& fields = *first_fields;
    if (fields.size() < 2) {
      throw input_error(path, 1,
                        "one field with the delimiter " + delimiter_name(layout.delimiter) +
                            ": expected at least user and item (set --delimiter?)");
    }
    layout.user = 0;
    layout.item = 1;
    for (size_t i = 2; i < fields.size() && i < 6; ++i) {
      if (layout.time < 0 && looks_like_time(fields[i])) {
        layout.time = static_cast<int>(i);
      } else if (layout.rating < 0 && is_number(fields[i])) {
        layout.rating = static_cast<int>(i);
      }
    }
    how_columns = "guessed from line 1's values";
  }
  const std::array<int, 4> columns = {layout.user, layout.item, layout.time, layout.rating};
  for (size_t a = 0; a < columns.size(); ++a) {
    for (size_t b = a + 1; b < columns.size(); ++b) {
      if (columns[a] >= 0 && columns[a] == columns[b]) {
        throw Error(path + ": --columns uses column " + std::to_string(columns[a] + 1) + " twice");
      }
    }
  }
  layout.needed_fields = *std::max_element(columns.begin(), columns.end()) + 1;

  std::string text =
      path + ": delimiter " + delimiter_name(layout.delimiter) + ", " +
      (layout.header ? "header line 1 (" + how_header + ")" : "no header (" + how_header + ")") +
      "; columns " + how_columns + ": " + describe_column("user", layout.user, header) + ", " +
      describe_column("item", layout.item, header);
  text += layout.time >= 0 ? ", " + describe_column("time", layout.time, header)
                           : ", no time column (line order is the time order)";
  text += layout.rating >= 0 ? ", " + describe_column("rating", layout.rating, header)
                             : ", no rating column";
  if (!given) text += " [--columns, --header, --delimiter change this]";
  layout.description = std::move(text);
  return layout;
}

}  // namespace pocketrec
