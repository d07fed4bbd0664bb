#pragma once
// The one place that lays a history out as a fixed-length model input. Training, evaluation and
// serving all call it, so padding can never differ between them.
#include <cstdint>
#include <span>
#include <string>

namespace pocketrec {

enum class HistoryLayout {
  kNewestLast,   // left-padded: [0, 0, a, b, c], the newest item in the last slot (default)
  kOldestFirst,  // right-padded: [a, b, c, 0, 0], the reference's layout
};

HistoryLayout parse_history_layout(const std::string& name);
std::string history_layout_name(HistoryLayout layout);

// Writes the most recent `out.size()` items of `history` into `out` (0 = padding).
void fill_context(std::span<const uint32_t> history, HistoryLayout layout, std::span<int32_t> out);

}  // namespace pocketrec
