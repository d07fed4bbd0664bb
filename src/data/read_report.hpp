#pragma once
// Counts what a reader skipped and why. In strict mode the first problem is an error.
#include <cstddef>
#include <string>
#include <vector>

namespace pocketrec {

class ReadReport {
 public:
  explicit ReadReport(bool strict = false) : strict_(strict) {}

  // Records a malformed line: throws in strict mode, otherwise counts it.
  void skip(const std::string& file, size_t line, const std::string& problem);
  void count_read(size_t rows = 1) { rows_read_ += rows; }
  void count_filtered(const std::string& reason, size_t rows);
  // How the input was interpreted where the user did not say (e.g. a detected CSV layout).
  void note(std::string text) { notes_.push_back(std::move(text)); }
  const std::vector<std::string>& notes() const { return notes_; }

  size_t rows_read() const { return rows_read_; }
  size_t rows_skipped() const { return rows_skipped_; }
  const std::vector<std::string>& examples() const { return examples_; }
  const std::vector<std::pair<std::string, size_t>>& filtered() const { return filtered_; }
  bool strict() const { return strict_; }
  std::string summary() const;

  static constexpr size_t kMaxExamples = 5;

 private:
  bool strict_;
  size_t rows_read_ = 0;
  size_t rows_skipped_ = 0;
  std::vector<std::string> examples_;
  std::vector<std::pair<std::string, size_t>> filtered_;
  std::vector<std::string> notes_;
};

}  // namespace pocketrec
