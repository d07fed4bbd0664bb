#include "train/batcher.hpp"

#include <algorithm>
#include <map>

#include "data/context_window.hpp"

namespace pocketrec {

void make_batch(const Dataset& dataset, std::span<const Position> positions,
                const ModelConfig& config, Batch& batch, bool with_seen) {
  const size_t length = static_cast<size_t>(config.context_length);
  batch.size = static_cast<int>(positions.size());
  batch.contexts.resize(positions.size() * length);
  batch.targets.resize(positions.size());
  batch.seen.assign(with_seen ? positions.size() : 0, {});
  for (size_t i = 0; i < positions.size(); ++i) {
    const auto& items = dataset.timelines[positions[i].timeline].items;
    const auto history = std::span(items).first(positions[i].pos);
    fill_context(history, config.layout, std::span(batch.contexts).subspan(i * length, length));
    batch.targets[i] = items[positions[i].pos];
    if (with_seen) batch.seen[i] = history;
  }
}

void make_causal_batch(const Dataset& dataset, std::span<const Position> positions,
                       const ModelConfig& config, Batch& batch, bool with_seen) {
  const int length = config.context_length;
  batch.size = static_cast<int>(positions.size());
  batch.contexts.resize(positions.size() * length);
  batch.targets.assign(positions.size() * length, 0);
  batch.seen.assign(with_seen ? positions.size() * length : 0, {});
  for (size_t i = 0; i < positions.size(); ++i) {
    const auto& items = dataset.timelines[positions[i].timeline].items;
    const int end = static_cast<int>(positions[i].pos);
    fill_context(std::span(items).first(end), HistoryLayout::kNewestLast,
                 std::span(batch.contexts).subspan(i * length, length));
    for (int j = 0; j < length; ++j) {
      int source = end - length + j;
      if (source < 0) continue;
      batch.targets[i * length + j] = items[source + 1];
      if (with_seen) batch.seen[i * length + j] = std::span(items).first(source + 1);
    }
  }
}

std::vector<Position> last_training_positions(const std::vector<Position>& train) {
  std::map<uint32_t, uint32_t> last;  // timeline -> last training position
  for (const auto& p : train) {
    auto [it, inserted] = last.try_emplace(p.timeline, p.pos);
    if (!inserted) it->second = std::max(it->second, p.pos);
  }
  std::vector<Position> ends;
  ends.reserve(last.size());
  for (const auto& [timeline, pos] : last) ends.push_back({timeline, pos});
  return ends;
}

namespace {

// Each timeline's newest window, then one every L positions back, all moved forward by a shift
// drawn per timeline when `rng` is given (0 otherwise): as many windows either way.
std::vector<Position> lay_out_windows(const std::vector<Position>& last, int length,
                                      std::mt19937_64* rng) {
  std::vector<Position> windows;
  std::uniform_int_distribution<int> draw(0, length - 1);
  for (const auto& [timeline, pos] : last) {
    windows.push_back({timeline, pos});
    const int newest = static_cast<int>(pos);
    const int shift = rng && newest > length ? draw(*rng) : 0;
    for (int end = newest - length + shift; end - shift >= 1; end -= length) {
      windows.push_back({timeline, static_cast<uint32_t>(end)});
    }
  }
  return windows;
}

}  // namespace

std::vector<Position> causal_windows(const std::vector<Position>& train, int length) {
  return lay_out_windows(last_training_positions(train), length, nullptr);
}

std::vector<Position> shifted_causal_windows(const std::vector<Position>& last, int length,
                                             std::mt19937_64& rng) {
  return lay_out_windows(last, length, &rng);
}

}  // namespace pocketrec
