#pragma once
// Interaction times as logs write them: unix seconds (or milliseconds: any integer, kept as it
// is, since only the order matters) or ISO 8601 dates ("2024-03-01", "2024-03-01 12:30:00",
// "2024-03-01T12:30:00.5Z", "...+02:00"), which become unix seconds in UTC.
#include <cstdint>
#include <optional>
#include <string_view>

namespace pocketrec {

std::optional<int64_t> parse_timestamp(std::string_view text);

}  // namespace pocketrec
