#include "core/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace pocketrec {
namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) {
  g_interrupted.store(true);
}

std::string format_duration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  int total = static_cast<int>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02d:%02d", total / 60, total % 60);
  }
  return buffer;
}
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
bool interrupted() {
  return g_interrupted.load(std::memory_order_relaxed);
}
void reset_interrupted() {
  g_interrupted.store(false);
}

ProgressBar::ProgressBar(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(uint64_t done, const std::string& status) {
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  } else if (total_ == 0) {  // unknown total: a line every 10 s
    if (now - last_draw_ < std::chrono::seconds(10)) return;
  } else {
    int decile = static_cast<int>(done * 10 / total_);
    if (decile == last_decile_) return;
    last_decile_ = decile;
  }
  last_draw_ = now;
  draw(done, status, false);
}

void ProgressBar::finish(const std::string& status) {
  draw(total_, status, true);
}

void ProgressBar::finish_count(uint64_t done, const std::string& status) {
  draw(done, status, true);
}

void ProgressBar::draw(uint64_t done, const std::string& status, bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  if (total_ == 0) {  // unknown total: the count and the rate
    std::fprintf(stderr, "%s%s %llu %s, %.0f %s/s, %s %s %s%s", terminal_ ? "\r\033[K" : "",
                 label_.c_str(), static_cast<unsigned long long>(done), unit_.c_str(), rate,
                 unit_.c_str(), final_line ? "took" : "elapsed", format_duration(elapsed).c_str(),
                 status.c_str(), (final_line || !terminal_) ? "\n" : "");
    std::fflush(stderr);
    return;
  }
  double eta = rate > 0 && total_ >= done ? static_cast<double>(total_ - done) / rate : -1;
  double fraction = static_cast<double>(done) / static_cast<double>(total_);
  constexpr int kWidth = 24;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "%s%s [%s] %3.0f%% %.0f %s/s %s %s %s%s", terminal_ ? "\r\033[K" : "",
               label_.c_str(), bar.c_str(), fraction * 100.0, rate, unit_.c_str(),
               final_line ? "took" : "ETA", format_duration(final_line ? elapsed : eta).c_str(),
               status.c_str(), (final_line || !terminal_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace pocketrec
