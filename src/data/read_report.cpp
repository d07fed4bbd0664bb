#include "data/read_report.hpp"

#include "core/error.hpp"

namespace pocketrec {

void ReadReport::skip(const std::string& file, size_t line, const std::string& problem) {
  if (strict_) throw input_error(file, line, problem + " (--strict stops at the first bad line)");
  ++rows_skipped_;
  if (examples_.size() < kMaxExamples) {
    examples_.push_back(file + ":" + std::to_string(line) + ": " + problem);
  }
}

void ReadReport::count_filtered(const std::string& reason, size_t rows) {
  if (rows > 0) filtered_.emplace_back(reason, rows);
}

std::string ReadReport::summary() const {
  std::string text;
  for (const auto& note : notes_) text += note + "\n";
  text += "read " + std::to_string(rows_read_) + " rows, skipped " + std::to_string(rows_skipped_) +
          " malformed";
  for (const auto& example : examples_) text += "\n  skipped " + example;
  if (rows_skipped_ > examples_.size()) {
    text += "\n  ... and " + std::to_string(rows_skipped_ - examples_.size()) + " more";
  }
  for (const auto& [reason, rows] : filtered_) {
    text += "\n  filtered " + std::to_string(rows) + " " + reason;
  }
  return text;
}

}  // namespace pocketrec
