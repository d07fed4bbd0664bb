#include "train/batcher.hpp"

#include <algorithm>
#include <map>

#include "data/context_window.hpp"

namespace pocketrec {

void make_batch(const Dataset& dataset, std::span<const Position> positions,
                const ModelConfig& config, Batch& batch) {
  const size_t length = static_cast<size_t>(config.context_length);
  batch.size = static_cast<int>(positions.size());
  batch.contexts.resize(positions.size() * length);
  batch.targets.resize(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    const auto& items = dataset.timelines[positions[i].timeline].items;
    fill_context(std::span(items).first(positions[i].pos), config.layout,
                 std::span(batch.contexts).subspan(i * length, length));
    batch.targets[i] = items[positions[i].pos];
  }
}

void make_causal_batch(const Dataset& dataset, std::span<const Position> positions,
                       const ModelConfig& config, Batch& batch) {
  const int length = config.context_length;
  batch.size = static_cast<int>(positions.size());
  batch.contexts.resize(positions.size() * length);
  batch.targets.assign(positions.size() * length, 0);
  for (size_t i = 0; i < positions.size(); ++i) {
    const auto& items = dataset.timelines[positions[i].timeline].items;
    const int end = static_cast<int>(positions[i].pos);
    fill_context(std::span(items).first(end), HistoryLayout::kNewestLast,
                 std::span(batch.contexts).subspan(i * length, length));
    for (int j = 0; j < length; ++j) {
      int source = end - length + j;
      if (source >= 0) batch.targets[i * length + j] = items[source + 1];
    }
  }
}

std::vector<Position> causal_windows(const std::vector<Position>& train, int length) {
  std::map<uint32_t, uint32_t> last;  // timeline -> last training position
  for (const auto& p : train) {
    auto [it, inserted] = last.try_emplace(p.timeline, p.pos);
    if (!inserted) it->second = std::max(it->second, p.pos);
  }
  std::vector<Position> windows;
  for (const auto& [timeline, pos] : last) {
    for (int end = static_cast<int>(pos); end >= 1; end -= length) {
      windows.push_back({timeline, static_cast<uint32_t>(end)});
    }
  }
  return windows;
}

}  // namespace pocketrec
