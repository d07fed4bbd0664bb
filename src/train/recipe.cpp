#include "train/recipe.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

namespace pocketrec {
namespace {

constexpr int kMinLength = 20, kMaxLength = 200;
constexpr double kSparseMedian = 20;
constexpr double kStepsPerEpoch = 100;
constexpr int kMinBatch = 32, kMaxBatch = 128;
constexpr size_t kLargeLog = 500000;

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(at, values.size() - 1)];
}

}  // namespace

std::vector<double> training_history_lengths(const Split& split) {
  std::unordered_map<uint32_t, uint32_t> targets;  // timeline -> training targets
  for (const auto& p : split.train) ++targets[p.timeline];
  std::vector<double> lengths;
  lengths.reserve(targets.size());
  for (const auto& [timeline, count] : targets) lengths.push_back(count + 1.0);  // + first item
  return lengths;
}

DataProfile profile_from_lengths(const std::vector<double>& lengths, size_t items,
                                 size_t train_targets) {
  DataProfile profile;
  profile.users = lengths.size();
  profile.items = items;
  profile.train_targets = train_targets;
  profile.median_length = quantile(lengths, 0.5);
  profile.p90_length = quantile(lengths, 0.9);
  return profile;
}

DataProfile profile_training_data(const Dataset& dataset, const Split& split) {
  return profile_from_lengths(training_history_lengths(split), dataset.catalog.size(),
                              split.train.size());
}

AttentionRecipe attention_recipe(const DataProfile& profile) {
  AttentionRecipe recipe;
  const int p90 = static_cast<int>(std::ceil(profile.p90_length / 10.0)) * 10;
  recipe.context_length = std::clamp(p90, kMinLength, kMaxLength);
  const bool sparse = profile.median_length < kSparseMedian;
  recipe.dropout = sparse ? 0.5f : 0.2f;
  recipe.ffn_ratio = profile.train_targets >= kLargeLog ? 4 : 1;
  recipe.weight_decay = sparse ? 1.0f : 0.0f;
  recipe.exclude_seen = !sparse;
  // Causal windows: one per user per L targets (walking back from the newest).
  const double windows =
      static_cast<double>(profile.users) +
      static_cast<double>(profile.train_targets) / static_cast<double>(recipe.context_length);
  const int batch = static_cast<int>(windows / kStepsPerEpoch);
  recipe.batch_size = std::clamp(batch, kMinBatch, kMaxBatch);
  recipe.learning_rate = profile.train_targets >= kLargeLog ? 2e-3f : 1e-3f;
  return recipe;
}

}  // namespace pocketrec
