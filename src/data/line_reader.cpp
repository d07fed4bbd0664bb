#include "data/line_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace pocketrec {

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) throw Error(path_ + ": file not found");
  if (std::filesystem::is_directory(path_, ec)) throw Error(path_ + ": is a directory, not a file");
  gzFile file = gzopen(path_.c_str(), "rb");
  if (!file) throw Error(path_ + ": cannot open: " + std::strerror(errno));
  gzbuffer(file, 1 << 17);
  handle_ = file;
}

LineReader::~LineReader() {
  if (handle_) gzclose(static_cast<gzFile>(handle_));
}

bool LineReader::next(std::string& line) {
  auto file = static_cast<gzFile>(handle_);
  line.clear();
  char buffer[8192];
  bool got_any = false;
  while (gzgets(file, buffer, sizeof buffer) != nullptr) {
    got_any = true;
    size_t length = std::strlen(buffer);
    line.append(buffer, length);
    if (length > 0 && buffer[length - 1] == '\n') break;
  }
  if (!got_any) {
    int error = 0;
    const char* message = gzerror(file, &error);
    if (error != Z_OK && error != Z_STREAM_END) {
      throw Error(path_ + ":" + std::to_string(line_number_ + 1) + ": read error: " + message);
    }
    return false;
  }
  // A truncated gzip stream reads as data followed by an error; surface it rather than stopping.
  int error = 0;
  const char* message = gzerror(file, &error);
  if (error != Z_OK && error != Z_STREAM_END && error != Z_BUF_ERROR) {
    throw Error(path_ + ":" + std::to_string(line_number_ + 1) + ": read error: " + message);
  }
  ++line_number_;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return true;
}

}  // namespace pocketrec
