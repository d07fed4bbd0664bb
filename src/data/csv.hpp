#pragma once
// Splits one delimited line, honouring RFC 4180 quotes ("a, b" and doubled "" inside quotes).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pocketrec {

// Returns nullopt when a quoted field is not closed on this line.
std::optional<std::vector<std::string>> parse_delimited_line(std::string_view line, char delimiter);

}  // namespace pocketrec
