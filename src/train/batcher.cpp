#include "train/batcher.hpp"

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

}  // namespace pocketrec
