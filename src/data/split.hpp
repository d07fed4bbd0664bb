#pragma once
// Train/validation/test splits, all expressed as positions in the users' timelines: the target is
// items[pos] and the history it may see is items[0..pos). No split lets a training example see a
// held-out target of the same user as its label.
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace pocketrec {

struct Position {
  uint32_t timeline;
  uint32_t pos;
  bool operator==(const Position&) const = default;
};

struct Split {
  std::string protocol;
  std::vector<Position> train;
  std::vector<Position> valid;
  std::vector<Position> test;
};

// Each user's last item is the test target, the second to last the validation target, everything
// before trains. Users with fewer than 3 items only train.
Split leave_one_out_split(const Dataset& dataset);
// Global time cuts at the given quantiles of all timestamps: events before the first cut train;
// each user's first event in [cut1, cut2) validates and first event from cut2 on tests.
Split temporal_split(const Dataset& dataset, double valid_quantile = 0.8,
                     double test_quantile = 0.9);
// The reference's protocol: every example of every user shuffled, then cut. Overlapping windows of
// one user land on both sides; use it only to compare with the reference.
Split random_example_split(const Dataset& dataset, double test_fraction, double valid_fraction,
                           uint64_t seed);

Split make_split(const Dataset& dataset, const std::string& protocol, uint64_t seed);

}  // namespace pocketrec
