#include "model/feature_config.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace pocketrec {
namespace {

bool contains(const std::string& text, const char* word) {
  return text.find(word) != std::string::npos;
}

bool ends_with_id(const std::string& name) {
  return name == "id" || name == "item" || (name.size() > 3 && name.ends_with("_id"));
}

}  // namespace

int FeatureSpec::rows(int items) const {
  if (is_float) return 0;
  return source == FeatureSource::kItem ? items + 1 : static_cast<int>(vocab.size());
}

int FeatureGroupSpec::input_width() const {
  int width = 0;
  for (const auto& f : features) width += f.width();
  return width;
}

bool FeatureGroupSpec::is_genre_list() const {
  return !features.empty() && features.front().source == FeatureSource::kGenre;
}

// Names follow the reference's config ("context_movie_id", "context_movie_genre", ...) and the
// CLI's short forms ("genre", "year", "rating", "gender").
FeatureSource parse_feature_source(const std::string& name, bool global, std::string& attribute) {
  if (global) {
    attribute = name.starts_with("user_") ? name.substr(5) : name;
    if (attribute.empty()) throw Error("feature '" + name + "': empty user attribute name");
    return FeatureSource::kUser;
  }
  if (contains(name, "genre")) return FeatureSource::kGenre;
  if (contains(name, "rating")) return FeatureSource::kRating;
  if (contains(name, "year")) return FeatureSource::kYear;
  if (ends_with_id(name)) return FeatureSource::kItem;
  throw Error("unknown feature '" + name +
              "': activity features are the item id (a name ending in _id), genre, year or "
              "rating");
}

std::string feature_source_name(FeatureSource source) {
  switch (source) {
    case FeatureSource::kItem:
      return "item";
    case FeatureSource::kGenre:
      return "genre";
    case FeatureSource::kYear:
      return "year";
    case FeatureSource::kRating:
      return "rating";
    case FeatureSource::kUser:
      return "user";
  }
  return "?";
}

void to_json(nlohmann::json& json, const FeatureSpec& f) {
  json = {{"name", f.name},
          {"source", feature_source_name(f.source)},
          {"attribute", f.attribute},
          {"float", f.is_float},
          {"embedding_dim", f.embedding_dim},
          {"length", f.length},
          {"vocab_size", f.vocab_size},
          {"vocab_file", f.vocab_file},
          {"vocab", f.vocab}};
}

void from_json(const nlohmann::json& json, FeatureSpec& f) {
  f.name = json.at("name").get<std::string>();
  const auto source = json.at("source").get<std::string>();
  bool found = false;
  for (auto s : {FeatureSource::kItem, FeatureSource::kGenre, FeatureSource::kYear,
                 FeatureSource::kRating, FeatureSource::kUser}) {
    if (feature_source_name(s) == source) {
      f.source = s;
      found = true;
    }
  }
  if (!found) throw Error("model config: unknown feature source '" + source + "'");
  f.attribute = json.at("attribute").get<std::string>();
  f.is_float = json.at("float").get<bool>();
  f.embedding_dim = json.at("embedding_dim").get<int>();
  f.length = json.at("length").get<int>();
  f.vocab_size = json.at("vocab_size").get<int>();
  f.vocab_file = json.at("vocab_file").get<std::string>();
  f.vocab = json.at("vocab").get<std::vector<std::string>>();
}

void to_json(nlohmann::json& json, const FeatureGroupSpec& g) {
  json = {{"features", g.features}, {"encoder", g.encoder}};
}

void from_json(const nlohmann::json& json, FeatureGroupSpec& g) {
  g.features = json.at("features").get<std::vector<FeatureSpec>>();
  g.encoder = json.at("encoder").get<EncoderKind>();
}

void to_json(nlohmann::json& json, const FeatureConfig& c) {
  json = {{"activity", c.activity}, {"global", c.global}};
}

void from_json(const nlohmann::json& json, FeatureConfig& c) {
  c.activity = json.at("activity").get<std::vector<FeatureGroupSpec>>();
  c.global = json.at("global").get<std::vector<FeatureGroupSpec>>();
}

}  // namespace pocketrec
