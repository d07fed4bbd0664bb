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

}  // namespace pocketrec
