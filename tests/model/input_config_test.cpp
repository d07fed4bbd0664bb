// The reference's protobuf-text input config: its example verbatim, the CLI's short form, and
// broken configs, each rejected with one clear error.
#include "model/input_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "model/dual_encoder.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

const char* kGenreVocab =
    "UNK\nDrama\nComedy\nAction\nThriller\nRomance\nHorror\nAdventure\nSci-Fi\nChildren's\n"
    "Crime\nWar\nDocumentary\nMusical\nMystery\nAnimation\nFantasy\nWestern\nFilm-Noir\n";

std::string reference_config_text() {
  std::ifstream in(std::string(POCKETREC_TEST_DIR) +
                   "/model/testdata/reference_input_config.pbtxt");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` as config.pbtxt next to the genre vocabulary and parses it.
ModelConfig parse_config(const std::string& text, bool with_vocab = true) {
  auto dir = testing::scratch_dir("input_config");
  if (with_vocab) testing::write_text(dir / "movie_genre_vocab.txt", kGenreVocab);
  ModelConfig model;
  apply_input_config_file(testing::write_text(dir / "config.pbtxt", text), model);
  model.items = 3706;
  model.validate();
  return model;
}

std::string error_of(const std::string& text, bool with_vocab = true) {
  try {
    parse_config(text, with_vocab);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(InputConfig, TheReferenceExampleParsesUnchanged) {
  const std::string text = reference_config_text();
  ASSERT_FALSE(text.empty());
  ModelConfig model = parse_config(text);
  EXPECT_EQ(model.encoder, parse_encoder("cnn"));
  EXPECT_EQ(model.embedding_dim, 8);
  EXPECT_EQ(model.context_length, 10);
  EXPECT_EQ(model.output_dim, 8);  // the label feature's embedding_dim
  ASSERT_EQ(model.features.activity.size(), 2u);
  EXPECT_TRUE(model.features.global.empty());
  const auto& items = model.features.activity[0];
  EXPECT_EQ(items.encoder, parse_encoder("cnn"));
  ASSERT_EQ(items.features.size(), 2u);
  EXPECT_EQ(items.features[0].name, "context_movie_id");
  EXPECT_EQ(items.features[0].source, FeatureSource::kItem);
  EXPECT_EQ(items.features[0].vocab_size, 3953);
  EXPECT_EQ(items.features[1].source, FeatureSource::kRating);
  EXPECT_TRUE(items.features[1].is_float);
  EXPECT_EQ(items.input_width(), 9);  // 8-dim id embedding + the rating channel
  const auto& genres = model.features.activity[1];
  EXPECT_EQ(genres.encoder, parse_encoder("cnn"));
  EXPECT_EQ(genres.features[0].source, FeatureSource::kGenre);
  EXPECT_EQ(genres.features[0].length, 32);
  EXPECT_EQ(genres.features[0].embedding_dim, 4);
  EXPECT_EQ(genres.features[0].vocab.size(), 19u);
  EXPECT_EQ(genres.features[0].vocab[3], "Action");
  // Each group's CNN ends with 4x its input width: 36 + 16 pooled values.
  EXPECT_EQ(model.encoder_dim(), 52);
  DualEncoder built(model);
  EXPECT_GT(built.parameter_count(), 0u);
}

TEST(InputConfig, GlobalGroupsAndGru) {
  ModelConfig model = parse_config(R"(
    global_feature_groups {
      features { feature_name: "user_gender" feature_type: STRING embedding_dim: 2 }
      features { feature_name: "user_age" feature_type: FLOAT }
    }
    activity_feature_groups {
      features { feature_name: "context_movie_id" feature_type: INT embedding_dim: 16
                 feature_length: 20 }
      encoder_type: GRU
    })");
  EXPECT_EQ(model.encoder, parse_encoder("gru"));
  EXPECT_EQ(model.context_length, 20);
  ASSERT_EQ(model.features.global.size(), 1u);
  EXPECT_EQ(model.features.global[0].features[0].attribute, "gender");
  EXPECT_EQ(model.features.global[0].input_width(), 3);
}

TEST(InputConfig, BrokenConfigsGetOneClearError) {
  const std::string text = reference_config_text();
  // Syntax: the parser's message with the file, line and column.
  EXPECT_NE(error_of(replaced(text, "feature_length: 10", "feature_length: ten"))
                .find("config.pbtxt:10:21: Expected integer"),
            std::string::npos)
      << error_of(replaced(text, "feature_length: 10", "feature_length: ten"));
  EXPECT_NE(error_of(replaced(text, "vocab_size: 19", "vocab_sise: 19")).find("vocab_sise"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "encoder_type: CNN", "encoder_type: TRANSFORMER"))
                .find("TRANSFORMER"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "context_movie_rating", "context_movie_mood"))
                .find("unknown feature 'context_movie_mood'"),
            std::string::npos);
  EXPECT_NE(error_of(text, false).find("vocab file"), std::string::npos);
  EXPECT_NE(error_of(replaced(text, "vocab_size: 19", "vocab_size: 20")).find("vocab_size 20 but"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "embedding_dim: 4", "embedding_dim: 0"))
                .find("embedding_dim must be in 1..4096"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "feature_type: FLOAT\n    feature_length: 10",
                              "feature_type: FLOAT\n    feature_length: 12"))
                .find("differs from its group's 10"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "context_movie_id", "context_movie_year"))
                .find("no activity feature is the item id"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "context_movie_rating\"\n    feature_type: FLOAT",
                              "context_movie_rating\"\n    feature_type: INT"))
                .find("a rating must be a FLOAT feature"),
            std::string::npos);
  EXPECT_NE(error_of(replaced(text, "label_movie_id\"\n  feature_type: INT",
                              "label_movie_id\"\n  feature_type: STRING"))
                .find("must be the INT item id"),
            std::string::npos);
}

TEST(InputConfig, FeatureListBuildsTheSameGroups) {
  ModelConfig model;
  model.items = 100;
  model.context_length = 5;
  apply_feature_list({"year", "genre", "rating", "gender", "age"}, model);
  model.validate();
  ASSERT_EQ(model.features.activity.size(), 2u);
  EXPECT_EQ(model.features.activity[0].features.size(), 3u);  // id, year, rating
  EXPECT_EQ(model.features.activity[1].features[0].length, 10);
  EXPECT_EQ(model.features.global[0].features.size(), 2u);
  EXPECT_THROW(apply_feature_list({"genre", "genre"}, model), Error);
}

}  // namespace
}  // namespace pocketrec
