#pragma once
// Turns timeline positions into model inputs: contexts [batch, L] laid out by fill_context, and
// target item indices.
#include <cstdint>
#include <random>
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
  // With TrainConfig::exclude_seen: per target, the items its context has had so far (the
  // timeline before the target), left out of its softmax. Empty otherwise.
  std::vector<std::span<const uint32_t>> seen;
};

void make_batch(const Dataset& dataset, std::span<const Position> positions,
                const ModelConfig& config, Batch& batch, bool with_seen = false);

// Causal training: each position is the end of a window; the context is the L items before it
// (newest last) and the target of context slot j is the item after slot j's item, 0 where the
// slot is padding. targets: [batch * L].
void make_causal_batch(const Dataset& dataset, std::span<const Position> positions,
                       const ModelConfig& config, Batch& batch, bool with_seen = false);
// Each timeline's last training position (its newest training target), in timeline order.
std::vector<Position> last_training_positions(const std::vector<Position>& train);
// The window ends that cover each user's training targets: the last training position, then
// every L positions back.
std::vector<Position> causal_windows(const std::vector<Position>& train, int length);
// The same windows with every window but the newest moved forward by a random shift in [0, L)
// drawn per timeline: the older targets see a different context each epoch (augmentation),
// the newest window, closest to what is predicted at serving time, stays as it is. The count
// of windows is that of causal_windows; the oldest `shift` targets may sit out an epoch.
std::vector<Position> shifted_causal_windows(const std::vector<Position>& last, int length,
                                             std::mt19937_64& rng);

}  // namespace pocketrec
