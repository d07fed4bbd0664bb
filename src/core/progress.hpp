#pragma once
// A progress bar for long commands: rate, ETA and a free-form status (loss, metrics).
// On a terminal it redraws one line; elsewhere (CI logs) it prints a line every ~10%.
#include <chrono>
#include <cstdint>
#include <string>

namespace pocketrec {

class ProgressBar {
 public:
  // A total of 0 means unknown: the bar shows the count and the rate.
  ProgressBar(std::string label, uint64_t total, std::string unit);
  void update(uint64_t done, const std::string& status = "");
  void finish(const std::string& status = "");
  void finish_count(uint64_t done, const std::string& status = "");  // for an unknown total

 private:
  void draw(uint64_t done, const std::string& status, bool final_line);

  std::string label_;
  uint64_t total_;
  std::string unit_;
  bool terminal_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// Cooperative interruption: SIGINT/SIGTERM set a flag that long loops poll, so they can stop at a
// safe point and save their state.
void install_interrupt_handler();
bool interrupted();
void reset_interrupted();

}  // namespace pocketrec
