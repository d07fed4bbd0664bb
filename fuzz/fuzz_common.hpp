#pragma once
// Shared by the libFuzzer targets: an input becomes a file (the readers read paths), and only
// pocketrec::Error counts as a clean refusal. Any other exception escapes and libFuzzer reports
// it as a finding, as it does crashes, hangs, leaks and sanitizer errors.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pocketrec::fuzz {

// Writes the input to a per-process file named with `suffix` (the readers look at it) and
// returns the path; the file is rewritten for every input.
inline std::string input_file(const uint8_t* data, size_t size, const std::string& suffix) {
  static const std::string dir = [] {
    const char* shm = "/dev/shm";
    return std::string(access(shm, W_OK) == 0 ? shm : "/tmp");
  }();
  std::string path = dir + "/pocketrec-fuzz-" + std::to_string(getpid()) + suffix;
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) __builtin_trap();
  if (size) std::fwrite(data, 1, size, file);
  std::fclose(file);
  return path;
}

}  // namespace pocketrec::fuzz
