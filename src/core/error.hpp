#pragma once
// One exception type for every input problem, so the CLI can print a single clear line.
#include <stdexcept>
#include <string>

namespace pocketrec {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "file:line: problem" — the shape every data error takes.
inline Error input_error(const std::string& file, size_t line, const std::string& problem) {
  return Error(file + ":" + std::to_string(line) + ": " + problem);
}

}  // namespace pocketrec
