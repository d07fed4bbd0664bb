#pragma once
// The inputs of a model with side features, one block per feature group. Within an activity group
// g, position p of example b holds its token features (in the group's order, floats skipped) at
// tokens[g][(b * L_g + p) * T_g + t] and its float features at values[g][(b * L_g + p) * F_g + f].
// Global groups are the same with L = 1.
#include <cstdint>
#include <vector>

namespace pocketrec {

struct FeatureBatch {
  int batch = 0;
  std::vector<std::vector<int32_t>> tokens;
  std::vector<std::vector<float>> values;
  std::vector<std::vector<int32_t>> global_tokens;
  std::vector<std::vector<float>> global_values;
};

}  // namespace pocketrec
