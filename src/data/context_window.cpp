#include "data/context_window.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace pocketrec {

HistoryLayout parse_history_layout(const std::string& name) {
  if (name == "newest-last") return HistoryLayout::kNewestLast;
  if (name == "oldest-first") return HistoryLayout::kOldestFirst;
  throw Error("unknown history layout '" + name + "' (use newest-last or oldest-first)");
}

std::string history_layout_name(HistoryLayout layout) {
  return layout == HistoryLayout::kNewestLast ? "newest-last" : "oldest-first";
}

void fill_context(std::span<const uint32_t> history, HistoryLayout layout, std::span<int32_t> out) {
  size_t length = out.size();
  size_t used = std::min(length, history.size());
  auto recent = history.subspan(history.size() - used);
  std::fill(out.begin(), out.end(), 0);
  size_t offset = layout == HistoryLayout::kNewestLast ? length - used : 0;
  for (size_t i = 0; i < used; ++i) out[offset + i] = static_cast<int32_t>(recent[i]);
}

}  // namespace pocketrec
