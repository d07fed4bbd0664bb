// Side features: how a timeline becomes a feature batch, how the data binds vocabularies, and the
// whole feature model's gradients against finite differences.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "model/dual_encoder.hpp"
#include "model/feature_inputs.hpp"
#include "model/input_config.hpp"
#include "model/model_grad_check.hpp"

namespace pocketrec {
namespace {

// Items 1..6: years 1990/1995/2000, genres from {Action, Comedy, Drama}; two users with ratings,
// gender and age.
Dataset feature_dataset() {
  Dataset d;
  const char* genres[6][2] = {{"Comedy", ""},       {"Action", "Drama"}, {"Drama", ""},
                              {"Action", "Comedy"}, {"Comedy", ""},      {"Drama", "Action"}};
  const int years[6] = {1995, 1990, 2000, 1995, 2000, 1990};
  for (int i = 0; i < 6; ++i) {
    CatalogItem item;
    item.id = std::to_string(10 + i);
    item.year = years[i];
    for (const char* g : genres[i]) {
      if (*g) item.genres.emplace_back(g);
    }
    d.catalog.add(item);
  }
  d.user_attribute_names = {"gender", "age"};
  d.timelines.push_back({"u1", {1, 2, 3, 4}, {1, 2, 3, 4}, {5, 4, 3, 2}, {"F", "25"}});
  d.timelines.push_back({"u2", {6, 5, 4}, {1, 2, 3}, {1, 2, 3}, {"M", "56"}});
  return d;
}

ModelConfig listed_features(std::vector<std::string> names, int length, HistoryLayout layout) {
  ModelConfig config;
  config.items = 6;
  config.context_length = length;
  config.embedding_dim = 3;
  config.output_dim = 3;
  config.layout = layout;
  apply_feature_list(names, config);
  return config;
}

TEST(FeatureInputs, NewestLastLayoutOfEveryFeature) {
  Dataset d = feature_dataset();
  ModelConfig config =
      listed_features({"genre", "year", "rating", "gender"}, 3, HistoryLayout::kNewestLast);
  bind_features(config, d);
  // Vocabularies are sorted, token 0 the unknown/padding value.
  ASSERT_EQ(config.features.activity.size(), 2u);
  EXPECT_EQ(config.features.activity[1].features[0].vocab,
            (std::vector<std::string>{"UNK", "Action", "Comedy", "Drama"}));
  EXPECT_EQ(config.features.activity[0].features[1].vocab,
            (std::vector<std::string>{"UNK", "1990", "1995", "2000"}));
  EXPECT_EQ(config.features.global[0].features[0].vocab,
            (std::vector<std::string>{"UNK", "F", "M"}));
  FeatureExtractor extractor(config, d.catalog, d.user_attribute_names);
  FeatureBatch batch;
  extractor.resize(batch, 2);
  extractor.fill(d.timelines[0], 2, 0, batch);  // history: items 1, 2
  extractor.fill(d.timelines[1], 3, 1, batch);  // history: items 6, 5, 4
  // Item group: (item, year) tokens and the rating per position, newest last, left-padded.
  EXPECT_EQ(batch.tokens[0], (std::vector<int32_t>{0, 0, 1, 2, 2, 1, 6, 1, 5, 3, 4, 2}));
  EXPECT_EQ(batch.values[0], (std::vector<float>{0, 5, 4, 1, 2, 3}));
  // Genre group (length 6): Comedy | Action Drama, then Drama Action | Comedy | Action Comedy.
  EXPECT_EQ(batch.tokens[1], (std::vector<int32_t>{0, 0, 0, 2, 1, 3, 0, 3, 1, 2, 1, 2}));
  EXPECT_EQ(batch.global_tokens[0], (std::vector<int32_t>{1, 2}));
}

TEST(FeatureInputs, OldestFirstLayoutAndLongHistoriesKeepTheNewest) {
  Dataset d = feature_dataset();
  ModelConfig config = listed_features({"genre", "rating"}, 2, HistoryLayout::kOldestFirst);
  bind_features(config, d);
  FeatureExtractor extractor(config, d.catalog, d.user_attribute_names);
  FeatureBatch batch;
  extractor.resize(batch, 2);
  extractor.fill(d.timelines[0], 4, 0, batch);  // items 1..4: the last two are 3, 4
  extractor.fill(d.timelines[1], 1, 1, batch);  // item 6 only, right-padded
  EXPECT_EQ(batch.tokens[0], (std::vector<int32_t>{3, 4, 6, 0}));
  EXPECT_EQ(batch.values[0], (std::vector<float>{3, 2, 1, 0}));
  // Genre group (length 4): the newest four of Action Drama | Drama | Action Comedy, then item
  // 6's Drama Action, right-padded.
  EXPECT_EQ(batch.tokens[1], (std::vector<int32_t>{3, 3, 1, 2, 3, 1, 0, 0}));
}

TEST(FeatureInputs, BindingNamesTheFeatureThatDoesNotFit) {
  Dataset d = feature_dataset();
  auto error_of = [&](ModelConfig config, const Dataset& data) {
    try {
      bind_features(config, data);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto config = listed_features({"occupation"}, 3, HistoryLayout::kNewestLast);
  EXPECT_NE(error_of(config, d).find("no user attribute 'occupation' (it has: gender, age"),
            std::string::npos);
  Dataset bare = feature_dataset();
  for (uint32_t i = 1; i <= 6; ++i) bare.catalog.item(i).genres.clear();
  config = listed_features({"genre"}, 3, HistoryLayout::kNewestLast);
  EXPECT_NE(error_of(config, bare).find("feature 'genre': the dataset has no genres"),
            std::string::npos);
  bare.has_ratings = false;
  config = listed_features({"rating"}, 3, HistoryLayout::kNewestLast);
  EXPECT_NE(error_of(config, bare).find("no ratings"), std::string::npos);
  config = listed_features({"year"}, 3, HistoryLayout::kNewestLast);
  config.features.activity[0].features[1].vocab_size = 3;  // 3 years + unknown need 4
  EXPECT_NE(error_of(config, d).find("vocab_size 3 is too small"), std::string::npos);
  config = listed_features({}, 3, HistoryLayout::kNewestLast);
  config.features.activity[0].features[0].vocab_size = 5;  // 6 items + padding need 7
  EXPECT_NE(error_of(config, d).find("cannot hold the catalog's 6 items"), std::string::npos);
}

// A model with every kind of feature: an item group (id, year, rating) and a genre group, each
// with `encoder`, and a global group (gender token, age float).
ModelConfig every_feature_config(const std::string& encoder) {
  ModelConfig config;
  config.items = 6;
  config.context_length = 4;
  config.embedding_dim = 3;
  config.hidden = {5};
  config.output_dim = 3;
  config.encoder = parse_encoder(encoder);
  config.rnn_units = 4;
  config.conv_kernel = 2;
  config.conv_ratios = {2};
  apply_feature_list({"year", "rating", "genre", "gender"}, config);
  FeatureSpec age;
  age.name = "user_age";
  age.source = FeatureSource::kUser;
  age.attribute = "age";
  age.is_float = true;
  config.features.global[0].features.push_back(age);
  for (auto& group : config.features.activity) {
    for (auto& f : group.features) f.embedding_dim = f.is_float ? 0 : (f.embedding_dim ? 2 : 0);
    if (group.features[0].source == FeatureSource::kItem) group.features[0].embedding_dim = 3;
  }
  config.features.global[0].features[0].embedding_dim = 2;
  return config;
}

class FeatureModel : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Encoders, FeatureModel, ::testing::Values("bow", "cnn", "gru", "lstm"));

TEST_P(FeatureModel, GradientsMatchFiniteDifferences) {
  Dataset d = feature_dataset();
  ModelConfig config = every_feature_config(GetParam());
  bind_features(config, d);
  DualEncoder model(config);
  model.initialize(3);
  testing::randomize_biases(model, 7);
  FeatureExtractor extractor(config, d.catalog, d.user_attribute_names);
  FeatureBatch batch;
  extractor.resize(batch, 4);
  extractor.fill(d.timelines[0], 3, 0, batch);
  extractor.fill(d.timelines[0], 1, 1, batch);
  extractor.fill(d.timelines[1], 2, 2, batch);
  extractor.fill(d.timelines[1], 0, 3, batch);  // empty history: all padding
  // Ages as small floats keep the pre-activations in a sane range.
  for (float& v : batch.global_values[0]) v /= 50.0f;
  testing::expect_model_gradients(model, {4, 2, 4, 6},
                                  [&](EncoderWorkspace& ws) { model.encode(batch, ws); });
  int checked_tables = 0;
  for (const auto& p : model.parameters()) checked_tables += p.name.starts_with("embedding/");
  EXPECT_EQ(checked_tables, 3);  // year, genre and gender tables
}

TEST(FeatureModel, ShortHistoryEncodesTheSameUnderAnyPadding) {
  Dataset d = feature_dataset();
  for (const char* encoder : {"bow", "gru", "lstm"}) {
    std::vector<std::vector<float>> users;
    for (int length : {4, 7}) {
      ModelConfig config = every_feature_config(encoder);
      config.context_length = length;
      for (auto& group : config.features.activity) {
        for (auto& f : group.features) f.length = group.is_genre_list() ? 2 * length : length;
      }
      bind_features(config, d);
      DualEncoder model(config);
      model.initialize(11);
      FeatureExtractor extractor(config, d.catalog, d.user_attribute_names);
      FeatureBatch batch;
      extractor.resize(batch, 1);
      extractor.fill(d.timelines[0], 2, 0, batch);
      EncoderWorkspace ws;
      model.encode(batch, ws);
      users.emplace_back(ws.user().data.begin(), ws.user().data.end());
    }
    ASSERT_EQ(users[0].size(), users[1].size());
    for (size_t i = 0; i < users[0].size(); ++i) {
      EXPECT_NEAR(users[0][i], users[1][i], 1e-6) << encoder << " component " << i;
    }
  }
}

TEST(FeatureModel, UnboundFeaturesAreRefusedAtConstruction) {
  ModelConfig config = every_feature_config("bow");  // year, genre, gender vocabularies empty
  EXPECT_THROW(DualEncoder model(config), Error);
}

TEST(FeatureModel, ItemIdOnlyCallsAreRefusedForFeatureModels) {
  Dataset d = feature_dataset();
  ModelConfig config = every_feature_config("bow");
  bind_features(config, d);
  DualEncoder model(config);
  std::vector<int32_t> contexts(4, 1);
  EncoderWorkspace ws;
  EXPECT_THROW(model.encode(contexts.data(), 1, ws), Error);
  EXPECT_THROW(model.encode_steps(contexts.data(), 1, ws), Error);
}

}  // namespace
}  // namespace pocketrec
