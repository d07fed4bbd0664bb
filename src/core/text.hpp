#pragma once
// Small string helpers shared by the readers and the CLI.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pocketrec {

std::vector<std::string_view> split(std::string_view text, std::string_view separator);
std::vector<std::string_view> split_whitespace(std::string_view text);
std::string_view trim(std::string_view text);
std::optional<int64_t> parse_int(std::string_view text);
std::optional<double> parse_double(std::string_view text);
bool is_valid_utf8(std::string_view text);
// MovieLens 1M and 100K ship Latin-1 text; valid UTF-8 is passed through unchanged.
std::string latin1_to_utf8(std::string_view text);
bool ends_with(std::string_view text, std::string_view suffix);
bool starts_with(std::string_view text, std::string_view prefix);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace pocketrec
