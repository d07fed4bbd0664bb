#pragma once
// Top-K recommendation from a trained DualEncoder: external ids in, ranked items out. The history
// is laid out by the same fill_context that training used.
#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "model/dual_encoder.hpp"

namespace pocketrec {

struct Recommendation {
  uint32_t item;  // dense index
  float score;
};

struct RecommendRequest {
  std::vector<uint32_t> history;  // dense indices, oldest first
  int k = 10;
  bool exclude_history = true;
  // Models with side features read genres and years from it; ratings and user attributes are
  // unknown (zero) when recommending from ids alone.
  const Catalog* catalog = nullptr;
};

std::vector<Recommendation> recommend(const DualEncoder& model, const RecommendRequest& request);

// Maps external ids to dense indices; unknown ids are returned in `unknown`, not fatal.
std::vector<uint32_t> resolve_history(const Catalog& catalog, const std::vector<std::string>& ids,
                                      std::vector<std::string>& unknown);

}  // namespace pocketrec
