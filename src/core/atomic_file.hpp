#pragma once
// Output files are written to a temporary sibling and renamed into place, so a crash or an
// interrupt never leaves a half-written model or dataset behind.
#include <string>
#include <string_view>

namespace pocketrec {

void write_file_atomically(const std::string& path, std::string_view bytes);

// The same for output too large to hold: append to the temporary, then commit() renames it into
// place. Destroyed uncommitted (an error, an interrupt), it removes the temporary.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view bytes);
  void commit();

 private:
  std::string path_, temp_;
  void* file_ = nullptr;  // FILE*
};
std::string read_whole_file(const std::string& path);

}  // namespace pocketrec
