#include "data/split.hpp"

#include <algorithm>
#include <random>

#include "core/error.hpp"

namespace pocketrec {

Split leave_one_out_split(const Dataset& dataset) {
  Split split;
  split.protocol = "leave-one-out";
  for (uint32_t t = 0; t < dataset.timelines.size(); ++t) {
    auto n = static_cast<uint32_t>(dataset.timelines[t].items.size());
    if (n < 3) {
      for (uint32_t pos = 1; pos < n; ++pos) split.train.push_back({t, pos});
      continue;
    }
    for (uint32_t pos = 1; pos + 2 < n; ++pos) split.train.push_back({t, pos});
    split.valid.push_back({t, n - 2});
    split.test.push_back({t, n - 1});
  }
  return split;
}

Split temporal_split(const Dataset& dataset, double valid_quantile, double test_quantile) {
  if (!(valid_quantile > 0 && valid_quantile <= test_quantile && test_quantile < 1)) {
    throw Error("temporal split: need 0 < validation cut <= test cut < 1");
  }
  if (!dataset.has_timestamps) {
    throw Error("temporal split: the dataset has no timestamps (use leave-one-out)");
  }
  std::vector<int64_t> times;
  for (const auto& timeline : dataset.timelines) {
    times.insert(times.end(), timeline.times.begin(), timeline.times.end());
  }
  std::sort(times.begin(), times.end());
  auto at = [&](double q) { return times[static_cast<size_t>(q * (times.size() - 1))]; };
  int64_t valid_cut = at(valid_quantile), test_cut = at(test_quantile);
  Split split;
  split.protocol = "temporal";
  for (uint32_t t = 0; t < dataset.timelines.size(); ++t) {
    const auto& timeline = dataset.timelines[t];
    bool valid_done = false, test_done = false;
    for (uint32_t pos = 0; pos < timeline.items.size(); ++pos) {
      int64_t time = timeline.times[pos];
      if (time < valid_cut) {
        if (pos > 0) split.train.push_back({t, pos});
      } else if (time < test_cut) {
        if (!valid_done && pos > 0) split.valid.push_back({t, pos});
        valid_done = true;
      } else {
        if (!test_done && pos > 0) split.test.push_back({t, pos});
        test_done = true;
      }
    }
  }
  return split;
}

Split random_example_split(const Dataset& dataset, double test_fraction, double valid_fraction,
                           uint64_t seed) {
  std::vector<Position> all;
  for (uint32_t t = 0; t < dataset.timelines.size(); ++t) {
    for (uint32_t pos = 1; pos < dataset.timelines[t].items.size(); ++pos) all.push_back({t, pos});
  }
  std::mt19937_64 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  auto test_count = static_cast<size_t>(test_fraction * all.size());
  auto valid_count = static_cast<size_t>(valid_fraction * all.size());
  Split split;
  split.protocol = "random-examples";
  split.test.assign(all.begin(), all.begin() + test_count);
  split.valid.assign(all.begin() + test_count, all.begin() + test_count + valid_count);
  split.train.assign(all.begin() + test_count + valid_count, all.end());
  return split;
}

Split make_split(const Dataset& dataset, const std::string& protocol, uint64_t seed) {
  if (protocol == "leave-one-out" || protocol == "loo") return leave_one_out_split(dataset);
  if (protocol == "temporal") return temporal_split(dataset);
  if (protocol == "random") return random_example_split(dataset, 0.1, 0.05, seed);
  throw Error("unknown split '" + protocol + "' (use leave-one-out, temporal or random)");
}

}  // namespace pocketrec
