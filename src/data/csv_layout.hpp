#pragma once
// How a generic delimited log is laid out: its delimiter, whether line 1 is a header, and which
// columns hold the user, item, time and rating. What the user did not say is detected from the
// file name and the first two lines, and the decision is described so it can be printed: a
// wrong guess must be visible, never silent.
#include <optional>
#include <string>
#include <string_view>

#include "data/readers.hpp"

namespace pocketrec {

struct CsvLayout {
  char delimiter = ',';
  bool header = false;
  int user = -1, item = -1, time = -1, rating = -1;  // 0-based; -1 = not in the file
  int needed_fields = 0;                             // 1 + the largest column used
  std::string description;                           // one line: what was decided and how
};

// `first` and `second` are the file's first two non-empty lines (second may be absent).
CsvLayout decide_csv_layout(const std::string& path, const ColumnSpec& spec, std::string_view first,
                            std::optional<std::string_view> second);

}  // namespace pocketrec
