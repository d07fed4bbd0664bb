#pragma once
// Side features, organised in groups as in the reference's input config. An activity group is a
// sequence (the last items, or the genres of the last items) encoded by its own context encoder; a
// global group is per user (e.g. gender, age, occupation) and its embeddings are concatenated.
// Every group's output is concatenated before the hidden layers.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "model/choices.hpp"

namespace pocketrec {

// Where a feature's values come from. Item-aligned sources give one value per context item;
// kGenre gives the genres of the context items, concatenated; kUser one value per user.
enum class FeatureSource { kItem, kGenre, kYear, kRating, kUser };

struct FeatureSpec {
  std::string name;  // as configured, e.g. "context_movie_genre"
  FeatureSource source = FeatureSource::kItem;
  std::string attribute;   // kUser: which user attribute (gender, age, occupation, ...)
  bool is_float = false;   // FLOAT: the value is appended as a channel, no embedding
  int embedding_dim = 0;   // INT / STRING features
  int length = 0;          // activity features: positions in the sequence
  int vocab_size = 0;      // as configured (0 = derive); checked against the data
  std::string vocab_file;  // STRING features: line number = token, line 0 = unknown/padding
  // Token t's value; [0] is the unknown/padding token. Filled from the data or the vocab file and
  // stored with the model, so a saved model maps values to the same rows. Empty for items/floats.
  std::vector<std::string> vocab;

  int width() const { return is_float ? 1 : embedding_dim; }
  int rows(int items) const;  // embedding table rows (items + 1 for the item id)
};

struct FeatureGroupSpec {
  std::vector<FeatureSpec> features;
  EncoderKind encoder = EncoderKind::kBow;  // activity groups: not attention

  int length() const { return features.empty() ? 0 : features.front().length; }
  int input_width() const;  // sum of feature widths
  bool is_genre_list() const;
};

struct FeatureConfig {
  std::vector<FeatureGroupSpec> activity;
  std::vector<FeatureGroupSpec> global;
  bool empty() const { return activity.empty() && global.empty(); }
};

FeatureSource parse_feature_source(const std::string& name, bool global, std::string& attribute);
std::string feature_source_name(FeatureSource source);

void to_json(nlohmann::json& json, const FeatureSpec& spec);
void from_json(const nlohmann::json& json, FeatureSpec& spec);
void to_json(nlohmann::json& json, const FeatureGroupSpec& group);
void from_json(const nlohmann::json& json, FeatureGroupSpec& group);
void to_json(nlohmann::json& json, const FeatureConfig& config);
void from_json(const nlohmann::json& json, FeatureConfig& config);

}  // namespace pocketrec
