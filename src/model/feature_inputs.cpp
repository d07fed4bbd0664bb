#include "model/feature_inputs.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/text.hpp"

namespace pocketrec {
namespace {

std::unordered_map<std::string, int32_t> token_map(const std::vector<std::string>& vocab) {
  std::unordered_map<std::string, int32_t> map;
  for (size_t t = 1; t < vocab.size(); ++t) map.emplace(vocab[t], static_cast<int32_t>(t));
  return map;
}

void check_vocab_size(const FeatureSpec& f) {
  if (f.vocab_size > 0 && f.vocab_size < static_cast<int>(f.vocab.size())) {
    throw Error("feature '" + f.name + "': vocab_size " + std::to_string(f.vocab_size) +
                " is too small, the data has " + std::to_string(f.vocab.size() - 1) +
                " values plus the unknown token");
  }
}

void bind_activity(FeatureSpec& f, const Dataset& dataset) {
  const auto& catalog = dataset.catalog;
  const int items = static_cast<int>(catalog.size());
  switch (f.source) {
    case FeatureSource::kItem:
      if (f.vocab_size > 0 && f.vocab_size < items + 1) {
        throw Error("feature '" + f.name + "': vocab_size " + std::to_string(f.vocab_size) +
                    " cannot hold the catalog's " + std::to_string(items) + " items + padding");
      }
      return;
    case FeatureSource::kGenre: {
      std::set<std::string> genres;
      for (uint32_t i = 1; i <= catalog.size(); ++i) {
        for (const auto& g : catalog.item(i).genres) genres.insert(g);
      }
      if (genres.empty()) {
        throw Error("feature '" + f.name +
                    "': the dataset has no genres (MovieLens movies.dat, movies.csv or u.item)");
      }
      if (f.vocab.empty()) {
        f.vocab = {"UNK"};
        f.vocab.insert(f.vocab.end(), genres.begin(), genres.end());
      } else {
        auto known = token_map(f.vocab);
        if (std::none_of(genres.begin(), genres.end(),
                         [&](const std::string& g) { return known.count(g) > 0; })) {
          throw Error("feature '" + f.name + "': no genre of the dataset is in " + f.vocab_file);
        }
      }
      break;
    }
    case FeatureSource::kYear: {
      std::set<int> years;
      for (uint32_t i = 1; i <= catalog.size(); ++i) {
        if (catalog.item(i).year > 0) years.insert(catalog.item(i).year);
      }
      if (years.empty()) throw Error("feature '" + f.name + "': the catalog has no years");
      f.vocab = {"UNK"};
      for (int y : years) f.vocab.push_back(std::to_string(y));
      break;
    }
    case FeatureSource::kRating:
      if (!dataset.has_ratings) throw Error("feature '" + f.name + "': the log has no ratings");
      return;
    case FeatureSource::kUser:
      break;
  }
  check_vocab_size(f);
}

void bind_user(FeatureSpec& f, const Dataset& dataset) {
  const auto& names = dataset.user_attribute_names;
  auto it = std::find(names.begin(), names.end(), f.attribute);
  if (it == names.end()) {
    throw Error("feature '" + f.name + "': the dataset has no user attribute '" + f.attribute +
                "' (it has: " + (names.empty() ? std::string("none") : join(names, ", ")) +
                "; MovieLens users.dat or u.user provide gender, age, occupation, zip)");
  }
  const size_t column = static_cast<size_t>(it - names.begin());
  std::set<std::string> values;
  for (const auto& timeline : dataset.timelines) {
    if (column < timeline.attributes.size() && !timeline.attributes[column].empty()) {
      const auto& value = timeline.attributes[column];
      if (f.is_float && !parse_double(value)) {
        throw Error("feature '" + f.name + "': user " + timeline.user + " has " + f.attribute +
                    " '" + value + "', not a number");
      }
      values.insert(value);
    }
  }
  if (values.empty()) throw Error("feature '" + f.name + "': no user has a value");
  if (f.is_float) return;
  f.vocab = {"UNK"};
  f.vocab.insert(f.vocab.end(), values.begin(), values.end());
  check_vocab_size(f);
}

}  // namespace

void bind_features(ModelConfig& config, const Dataset& dataset) {
  for (auto& group : config.features.activity) {
    for (auto& f : group.features) bind_activity(f, dataset);
  }
  for (auto& group : config.features.global) {
    for (auto& f : group.features) bind_user(f, dataset);
  }
}

FeatureExtractor::FeatureExtractor(const ModelConfig& config, const Catalog& catalog,
                                   std::vector<std::string> user_attribute_names)
    : config_(config) {
  const size_t rows = catalog.size() + 1;
  auto make_group = [&](const FeatureGroupSpec& spec) {
    Group group;
    group.length = spec.length();
    for (const auto& f : spec.features) {
      Feature feature{f.source, f.is_float, -1, {}};
      (f.is_float ? group.value_count : group.token_count)++;
      if (f.source == FeatureSource::kYear) {
        auto years = token_map(f.vocab);
        item_year_.assign(rows, 0);
        for (uint32_t i = 1; i < rows; ++i) {
          auto it = years.find(std::to_string(catalog.item(i).year));
          if (it != years.end()) item_year_[i] = it->second;
        }
      } else if (f.source == FeatureSource::kGenre) {
        auto genres = token_map(f.vocab);
        item_genres_.assign(rows, {});
        for (uint32_t i = 1; i < rows; ++i) {
          for (const auto& g : catalog.item(i).genres) {
            if (auto it = genres.find(g); it != genres.end()) item_genres_[i].push_back(it->second);
          }
        }
      } else if (f.source == FeatureSource::kUser) {
        auto it = std::find(user_attribute_names.begin(), user_attribute_names.end(), f.attribute);
        if (it != user_attribute_names.end()) {
          feature.attribute = static_cast<int>(it - user_attribute_names.begin());
        }
        feature.tokens = token_map(f.vocab);
      }
      group.features.push_back(std::move(feature));
    }
    return group;
  };
  for (const auto& spec : config.features.activity) activity_.push_back(make_group(spec));
  for (const auto& spec : config.features.global) global_.push_back(make_group(spec));
}

void FeatureExtractor::resize(FeatureBatch& batch, int size) const {
  batch.batch = size;
  // One block per group: size x positions x (token or value) features.
  auto fit = [size](auto& blocks, const std::vector<Group>& groups, int Group::*per_position) {
    blocks.resize(groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
      blocks[g].resize(static_cast<size_t>(size) * std::max(groups[g].length, 1) *
                       groups[g].*per_position);
    }
  };
  fit(batch.tokens, activity_, &Group::token_count);
  fit(batch.values, activity_, &Group::value_count);
  fit(batch.global_tokens, global_, &Group::token_count);
  fit(batch.global_values, global_, &Group::value_count);
}

void FeatureExtractor::fill_items(const Group& group, const Timeline& timeline, size_t pos,
                                  int32_t* tokens, float* values) const {
  const int length = group.length;
  const int n = static_cast<int>(std::min<size_t>(pos, static_cast<size_t>(length)));
  const bool newest_last = config_.layout == HistoryLayout::kNewestLast;
  for (int k = 0; k < n; ++k) {
    const size_t event = pos - n + k;
    const int slot = newest_last ? length - n + k : k;
    const uint32_t item = timeline.items[event];
    int32_t* token = tokens + static_cast<size_t>(slot) * group.token_count;
    float* value = values + static_cast<size_t>(slot) * group.value_count;
    for (const auto& f : group.features) {
      if (f.source == FeatureSource::kRating) {
        *value++ = event < timeline.ratings.size() ? timeline.ratings[event] : 0.0f;
      } else if (f.source == FeatureSource::kYear) {
        *token++ = item_year_[item];
      } else {
        *token++ = static_cast<int32_t>(item);
      }
    }
  }
}

void FeatureExtractor::fill_genres(const Group& group, const Timeline& timeline, size_t pos,
                                   int32_t* tokens) const {
  // Newest first from the last slot backwards (no allocation: training calls this per example),
  // then moved to the front for the oldest-first layout. The slots start zeroed.
  const size_t length = static_cast<size_t>(group.length);
  size_t filled = 0;
  for (size_t e = pos; e-- > 0 && filled < length;) {
    const auto& genres = item_genres_[timeline.items[e]];
    for (auto g = genres.rbegin(); g != genres.rend() && filled < length; ++g) {
      tokens[length - 1 - filled++] = *g;
    }
  }
  if (config_.layout == HistoryLayout::kOldestFirst && filled < length) {
    std::copy(tokens + (length - filled), tokens + length, tokens);
    std::fill(tokens + filled, tokens + length, 0);
  }
}

void FeatureExtractor::fill(const Timeline& timeline, size_t pos, int row,
                            FeatureBatch& batch) const {
  for (size_t g = 0; g < activity_.size(); ++g) {
    const Group& group = activity_[g];
    const size_t cells = static_cast<size_t>(group.length);
    int32_t* tokens = batch.tokens[g].data() + row * cells * group.token_count;
    float* values = batch.values[g].data() + row * cells * group.value_count;
    std::fill(tokens, tokens + cells * group.token_count, 0);
    std::fill(values, values + cells * group.value_count, 0.0f);
    if (!group.features.empty() && group.features.front().source == FeatureSource::kGenre) {
      fill_genres(group, timeline, pos, tokens);
    } else {
      fill_items(group, timeline, pos, tokens, values);
    }
  }
  for (size_t g = 0; g < global_.size(); ++g) {
    const Group& group = global_[g];
    int32_t* tokens = batch.global_tokens[g].data() + static_cast<size_t>(row) * group.token_count;
    float* values = batch.global_values[g].data() + static_cast<size_t>(row) * group.value_count;
    for (const auto& f : group.features) {
      const std::string* value = nullptr;
      if (f.attribute >= 0 && static_cast<size_t>(f.attribute) < timeline.attributes.size()) {
        value = &timeline.attributes[f.attribute];
      }
      if (f.is_float) {
        *values++ = value ? static_cast<float>(parse_double(*value).value_or(0.0)) : 0.0f;
      } else {
        auto it = value ? f.tokens.find(*value) : f.tokens.end();
        *tokens++ = it != f.tokens.end() ? it->second : 0;
      }
    }
  }
}

}  // namespace pocketrec
