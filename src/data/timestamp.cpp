#include "data/timestamp.hpp"

#include <chrono>

#include "core/text.hpp"

namespace pocketrec {
namespace {

// Reads exactly `digits` decimal digits at text[at...].
std::optional<int> read_digits(std::string_view text, size_t at, size_t digits) {
  if (at + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  auto year = read_digits(text, 0, 4), month = read_digits(text, 5, 2),
       day = read_digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  int64_t seconds = std::chrono::sys_days(date).time_since_epoch().count() * int64_t{86400};
  size_t at = 10;
  if (at == text.size()) return seconds;
  if (text[at] != 'T' && text[at] != ' ') return std::nullopt;
  auto hour = read_digits(text, at + 1, 2), minute = read_digits(text, at + 4, 2);
  if (!hour || !minute || text[at + 3] != ':' || *hour > 23 || *minute > 59) return std::nullopt;
  seconds += *hour * 3600 + *minute * 60;
  at += 6;
  if (at < text.size() && text[at] == ':') {
    auto second = read_digits(text, at + 1, 2);
    if (!second || *second > 60) return std::nullopt;
    seconds += *second;
    at += 3;
    if (at < text.size() && text[at] == '.') {  // fractions of a second do not change the order
      ++at;
      size_t first = at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
      if (at == first) return std::nullopt;
    }
  }
  if (at == text.size()) return seconds;
  if (text[at] == 'Z' && at + 1 == text.size()) return seconds;
  if ((text[at] == '+' || text[at] == '-') && at + 6 == text.size() && text[at + 3] == ':') {
    auto zone_hours = read_digits(text, at + 1, 2), zone_minutes = read_digits(text, at + 4, 2);
    if (!zone_hours || !zone_minutes || *zone_hours > 23 || *zone_minutes > 59) {
      return std::nullopt;
    }
    const int64_t offset = *zone_hours * 3600 + *zone_minutes * 60;
    return text[at] == '+' ? seconds - offset : seconds + offset;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view text) {
  text = trim(text);
  if (auto number = parse_int(text)) return number;
  return parse_iso8601(text);
}

}  // namespace pocketrec
