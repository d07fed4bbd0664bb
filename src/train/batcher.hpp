#pragma once
// Turns timeline positions into model inputs: contexts [batch, L] laid out by fill_context, and
// target item indices.
#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.hpp"
#include "data/split.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

struct Batch {
  int size = 0;
  std::vector<int32_t> contexts;
  std::vector<uint32_t> targets;
};

void make_batch(const Dataset& dataset, std::span<const Position> positions,
                const ModelConfig& config, Batch& batch);

// Causal training: each position is the end of a window; the context is the L items before it
// (newest last) and the target of context slot j is the item after slot j's item, 0 where the
// slot is padding. targets: [batch * L].
void make_causal_batch(const Dataset& dataset, std::span<const Position> positions,
                       const ModelConfig& config, Batch& batch);
// The window ends that cover each user's training targets: the last training position, then
// every L positions back.
std::vector<Position> causal_windows(const std::vector<Position>& train, int length);

}  // namespace pocketrec
