#pragma once
// Streams the lines of a plain or gzip-compressed file (zlib detects which), counting line numbers
// for error messages. Trailing '\r' and '\n' are removed. A NUL byte (binary data) or a line
// longer than kMaxLineBytes is an error naming the file and line.
#include <cstddef>
#include <string>
#include <vector>

namespace pocketrec {

class LineReader {
 public:
  explicit LineReader(std::string path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // One user per line can be long (a 100,000-item history is about 1 MB); 64 MiB is not a line.
  static constexpr size_t kMaxLineBytes = size_t{64} << 20;

  bool next(std::string& line);
  size_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* handle_ = nullptr;  // gzFile, kept opaque so zlib.h stays out of the header
  size_t line_number_ = 0;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // the unread part of buffer_

  bool fill();
};

}  // namespace pocketrec
