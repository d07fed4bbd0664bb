#pragma once
// Turns a user's timeline into a feature model's inputs: item ids, years and genres from the
// catalog, ratings from the log, user attributes from the dataset. Training, evaluation and
// serving all go through FeatureExtractor, so the layout can never differ between them.
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/dataset.hpp"
#include "model/feature_batch.hpp"
#include "model/model_config.hpp"

namespace pocketrec {

// Fits a new model's features to the dataset: builds the genre, year and user-attribute
// vocabularies (unless a vocab file gave them) and checks configured vocab sizes, ratings and
// attributes against the data. Throws a clear error naming the feature.
void bind_features(ModelConfig& config, const Dataset& dataset);

class FeatureExtractor {
 public:
  FeatureExtractor(const ModelConfig& config, const Catalog& catalog,
                   std::vector<std::string> user_attribute_names);

  void resize(FeatureBatch& batch, int size) const;
  // Row `row`: the features of the history items[0, pos) of `timeline` (ratings and attributes
  // are read where the timeline has them; missing ones are unknown/zero).
  void fill(const Timeline& timeline, size_t pos, int row, FeatureBatch& batch) const;

 private:
  struct Feature {
    FeatureSource source;
    bool is_float;
    int attribute = -1;                               // kUser: index into the timeline's attributes
    std::unordered_map<std::string, int32_t> tokens;  // kUser tokens by value
  };
  struct Group {
    int length = 0, token_count = 0, value_count = 0;
    std::vector<Feature> features;
  };
  ModelConfig config_;
  std::vector<Group> activity_, global_;
  std::vector<int32_t> item_year_;                 // year token per item index
  std::vector<std::vector<int32_t>> item_genres_;  // genre tokens per item index

  void fill_items(const Group& group, const Timeline& timeline, size_t pos, int32_t* tokens,
                  float* values) const;
  void fill_genres(const Group& group, const Timeline& timeline, size_t pos, int32_t* tokens) const;
};

}  // namespace pocketrec
