#include "data/line_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace pocketrec {
namespace {

// Fuzz builds read one tiny file per input: ASan maps and unmaps every allocation above 128 KB,
// and zlib's buffers for 128 KB of input made the reader targets spend 80% of their time in
// the kernel (perf on scripts/fuzz.sh's fuzz_reader_csv), so they use small buffers.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr unsigned kGzipBufferBytes = 1 << 12;
constexpr size_t kChunkBytes = 1 << 12;
#else
constexpr unsigned kGzipBufferBytes = 1 << 17;
constexpr size_t kChunkBytes = 1 << 16;
#endif

}  // namespace

LineReader::LineReader(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) throw Error(path_ + ": file not found");
  if (std::filesystem::is_directory(path_, ec)) throw Error(path_ + ": is a directory, not a file");
  gzFile file = gzopen(path_.c_str(), "rb");
  if (!file) throw Error(path_ + ": cannot open: " + std::strerror(errno));
  gzbuffer(file, kGzipBufferBytes);
  handle_ = file;
  buffer_.resize(kChunkBytes);
}

LineReader::~LineReader() {
  if (handle_) gzclose(static_cast<gzFile>(handle_));
}

bool LineReader::fill() {
  auto file = static_cast<gzFile>(handle_);
  int got = gzread(file, buffer_.data(), static_cast<unsigned>(buffer_.size()));
  int error = 0;
  const char* message = gzerror(file, &error);
  // A truncated gzip stream reads as data followed by an error; surface it rather than stopping.
  if (got < 0 || (error != Z_OK && error != Z_STREAM_END && error != Z_BUF_ERROR) ||
      (got == 0 && error == Z_BUF_ERROR)) {
    throw Error(path_ + ":" + std::to_string(line_number_ + 1) + ": read error: " +
                (error == Z_BUF_ERROR ? "unexpected end of the compressed stream" : message));
  }
  begin_ = 0;
  end_ = static_cast<size_t>(got);
  return got > 0;
}

bool LineReader::next(std::string& line) {
  line.clear();
  bool got_any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) break;
    got_any = true;
    const char* start = buffer_.data() + begin_;
    const size_t available = end_ - begin_;
    const char* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    const size_t take = newline ? static_cast<size_t>(newline - start) : available;
    // Binary data would be cut at the first NUL by every string routine after this one.
    if (std::memchr(start, '\0', take)) {
      throw input_error(path_, line_number_ + 1, "binary data (a NUL byte): not a text file");
    }
    if (line.size() + take > kMaxLineBytes) {
      throw input_error(path_, line_number_ + 1,
                        "line longer than " + std::to_string(kMaxLineBytes >> 20) +
                            " MiB: not a text log, or a line break is missing");
    }
    line.append(start, take);
    begin_ += take;
    if (newline) {
      ++begin_;
      break;
    }
  }
  if (!got_any) return false;
  ++line_number_;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return true;
}

}  // namespace pocketrec
