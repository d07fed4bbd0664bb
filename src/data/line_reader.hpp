#pragma once
// Streams the lines of a plain or gzip-compressed file (zlib detects which), counting line numbers
// for error messages. Lines may be of any length; trailing '\r' and '\n' are removed.
#include <cstddef>
#include <string>

namespace pocketrec {

class LineReader {
 public:
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool next(std::string& line);
  size_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* handle_ = nullptr;  // gzFile, kept opaque so zlib.h stays out of the header
  size_t line_number_ = 0;
};

}  // namespace pocketrec
