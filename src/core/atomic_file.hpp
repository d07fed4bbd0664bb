#pragma once
// Output files are written to a temporary sibling and renamed into place, so a crash or an
// interrupt never leaves a half-written model or dataset behind.
#include <string>
#include <string_view>

namespace pocketrec {

void write_file_atomically(const std::string& path, std::string_view bytes);
std::string read_whole_file(const std::string& path);

}  // namespace pocketrec
