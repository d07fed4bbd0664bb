#include "model/input_config.hpp"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "input_config.pb.h"

namespace pocketrec {
namespace {

namespace fs = std::filesystem;
namespace ref = pocketrec::reference;

class CollectFirstError : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectFirstError(std::string path) : path_(std::move(path)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!first_.empty()) return;
    first_ =
        path_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  const std::string& first() const { return first_; }

 private:
  std::string path_;
  std::string first_;
};

EncoderKind encoder_kind(ref::EncoderType type) {
  switch (type) {
    case ref::BOW:
      return EncoderKind::kBow;
    case ref::CNN:
      return EncoderKind::kCnn;
    case ref::LSTM:
      return EncoderKind::kLstm;
    case ref::GRU:
      return EncoderKind::kGru;
  }
  return EncoderKind::kBow;
}

std::vector<std::string> read_vocab(const std::string& feature, const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw Error("feature '" + feature + "': vocab file " + file.string() + " not found");
  }
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) vocab.emplace_back(trim(line));
  while (!vocab.empty() && vocab.back().empty()) vocab.pop_back();
  if (vocab.size() < 2) {
    throw Error("feature '" + feature + "': vocab file " + file.string() +
                " needs the unknown token on line 1 and at least one value");
  }
  return vocab;
}

int checked_int(const std::string& feature, const char* field, int64_t value) {
  if (value < 0 || value > (1 << 24)) {
    throw Error("feature '" + feature + "': " + field + " " + std::to_string(value) +
                " is out of range");
  }
  return static_cast<int>(value);
}

FeatureSpec convert_feature(const ref::Feature& in, bool global, const fs::path& folder) {
  FeatureSpec f;
  f.name = in.feature_name();
  if (f.name.empty()) throw Error("a feature has no feature_name");
  f.source = parse_feature_source(f.name, global, f.attribute);
  f.is_float = in.feature_type() == ref::FLOAT;
  f.embedding_dim = checked_int(f.name, "embedding_dim", in.embedding_dim());
  f.length = global ? 1 : checked_int(f.name, "feature_length", in.feature_length());
  f.vocab_size = checked_int(f.name, "vocab_size", in.vocab_size());
  if (f.source == FeatureSource::kItem && in.feature_type() != ref::INT) {
    throw Error("feature '" + f.name + "': the item id must be an INT feature");
  }
  if (f.source == FeatureSource::kRating && !f.is_float) {
    throw Error("feature '" + f.name + "': a rating must be a FLOAT feature");
  }
  if (!in.vocab_name().empty()) {
    f.vocab_file = (folder / in.vocab_name()).string();
    f.vocab = read_vocab(f.name, f.vocab_file);
    if (f.vocab_size != 0 && f.vocab_size != static_cast<int>(f.vocab.size())) {
      throw Error("feature '" + f.name + "': vocab_size " + std::to_string(f.vocab_size) + " but " +
                  f.vocab_file + " has " + std::to_string(f.vocab.size()) + " entries");
    }
  }
  return f;
}

}  // namespace

void apply_input_config_text(const std::string& text, const std::string& path, ModelConfig& model) {
  ref::InputConfig config;
  google::protobuf::TextFormat::Parser parser;
  CollectFirstError errors(path);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    throw Error(errors.first().empty() ? path + ": not a valid input config" : errors.first());
  }
  const fs::path folder = fs::path(path).parent_path();
  FeatureConfig features;
  for (const auto& group : config.activity_feature_groups()) {
    FeatureGroupSpec spec;
    spec.encoder = encoder_kind(group.encoder_type());
    for (const auto& f : group.features())
      spec.features.push_back(convert_feature(f, false, folder));
    features.activity.push_back(std::move(spec));
  }
  for (const auto& group : config.global_feature_groups()) {
    FeatureGroupSpec spec;
    for (const auto& f : group.features())
      spec.features.push_back(convert_feature(f, true, folder));
    features.global.push_back(std::move(spec));
  }
  // The model's own fields follow the item feature, so the rest of pocketrec sees one truth.
  bool found = false;
  for (const auto& group : features.activity) {
    for (const auto& f : group.features) {
      if (f.source != FeatureSource::kItem || found) continue;
      found = true;
      model.encoder = group.encoder;
      model.embedding_dim = f.embedding_dim;
      model.context_length = f.length;
    }
  }
  if (!found) throw Error(path + ": no activity feature is the item id (a name ending in _id)");
  if (config.has_label_feature()) {
    const auto& label = config.label_feature();
    std::string attribute;
    if (label.feature_type() != ref::INT ||
        parse_feature_source(label.feature_name(), false, attribute) != FeatureSource::kItem) {
      throw Error(path + ": label_feature '" + label.feature_name() + "' must be the INT item id");
    }
    if (label.embedding_dim() > 0) {
      model.output_dim = checked_int(label.feature_name(), "embedding_dim", label.embedding_dim());
    }
  }
  model.features = std::move(features);
}

void apply_input_config_file(const std::string& path, ModelConfig& model) {
  // The reference's configs are under 2 KB; a megabyte is a wrong file, not a config.
  constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path + ": cannot open the input config: " + ec.message());
  if (bytes > kMaxConfigBytes) {
    throw Error(path + ": " + std::to_string(bytes) +
                " bytes: larger than an input config can be (1 MiB)");
  }
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the input config");
  std::ostringstream text;
  text << in.rdbuf();
  apply_input_config_text(text.str(), path, model);
}

void apply_feature_list(const std::vector<std::string>& names, ModelConfig& model) {
  FeatureSpec item;
  item.name = "item_id";
  item.source = FeatureSource::kItem;
  item.embedding_dim = model.embedding_dim;
  item.length = model.context_length;
  FeatureGroupSpec items{{item}, model.encoder};
  FeatureConfig features;
  FeatureGroupSpec users;
  std::optional<FeatureGroupSpec> genres;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (std::find(names.begin(), names.begin() + i, name) != names.begin() + i) {
      throw Error("--features: '" + name + "' is given twice");
    }
    FeatureSpec f;
    f.name = name;
    if (name == "genre" || name == "year" || name == "rating") {
      f.source = parse_feature_source(name, false, f.attribute);
      f.length = model.context_length;
      f.is_float = f.source == FeatureSource::kRating;
      f.embedding_dim = f.is_float ? 0 : 8;
      if (f.source == FeatureSource::kGenre) {
        f.length = 2 * model.context_length;  // MovieLens movies have 1.7 genres on average
        genres = FeatureGroupSpec{{f}, model.encoder};
        continue;
      }
      items.features.push_back(f);
    } else {
      f.source = parse_feature_source(name, true, f.attribute);
      f.length = 1;
      f.embedding_dim = 4;
      users.features.push_back(f);
    }
  }
  features.activity.push_back(std::move(items));
  if (genres) features.activity.push_back(std::move(*genres));
  if (!users.features.empty()) features.global.push_back(std::move(users));
  model.features = std::move(features);
}

}  // namespace pocketrec
