#pragma once
// One exception type for every input problem, so the CLI can print a single clear line: the
// public pocketrec::Error, which apps catch.
#include <string>

#include "pocketrec/error.hpp"

namespace pocketrec {

// "file:line: problem" — the shape every data error takes.
inline Error input_error(const std::string& file, size_t line, const std::string& problem) {
  return Error(file + ":" + std::to_string(line) + ": " + problem);
}

}  // namespace pocketrec
