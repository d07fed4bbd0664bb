#include "model/model_file.hpp"

#include <gtest/gtest.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "test_util.hpp"

namespace pocketrec {
namespace {

struct Fixture {
  Catalog catalog;
  std::unique_ptr<DualEncoder> model;
  Fixture() {
    catalog.add({"a", "Alpha (1990)", {"Drama"}, 1990, 3});
    catalog.add({"b", "Beta", {}, 0, 1});
    ModelConfig config;
    config.items = 2;
    config.embedding_dim = 4;
    config.output_dim = 4;
    config.hidden = {3};
    model = std::make_unique<DualEncoder>(config);
    model->initialize(5);
  }
};

}  // namespace

TEST(ModelFile, RoundTripIsExact) {
  Fixture f;
  auto dir = testing::scratch_dir("model_file");
  auto path = (dir / "m.pkrec").string();
  save_model(path, *f.model, f.catalog);
  auto loaded = load_model(path);
  EXPECT_FALSE(loaded.training);
  ASSERT_EQ(loaded.catalog.size(), 2u);
  EXPECT_EQ(loaded.catalog.item(1).title, "Alpha (1990)");
  EXPECT_EQ(loaded.catalog.item(1).genres, std::vector<std::string>{"Drama"});
  for (size_t i = 0; i < f.model->parameters().size(); ++i) {
    EXPECT_EQ(loaded.model->parameters()[i].value.data, f.model->parameters()[i].value.data);
  }
}

TEST(ModelFile, CheckpointCarriesTrainingState) {
  Fixture f;
  auto dir = testing::scratch_dir("ckpt");
  TrainingState state;
  state.optimizer_steps = 17;
  state.optimizer_slots.push_back(nn::Matrix(2, 2));
  state.optimizer_slots[0].at(1, 1) = 3.5f;
  state.progress = {{"epoch", 4}};
  save_model((dir / "c").string(), *f.model, f.catalog, &state);
  auto loaded = load_model((dir / "c").string());
  ASSERT_TRUE(loaded.training);
  EXPECT_EQ(loaded.training->optimizer_steps, 17u);
  EXPECT_EQ(loaded.training->optimizer_slots[0].at(1, 1), 3.5f);
  EXPECT_EQ(loaded.training->progress["epoch"], 4);
}

TEST(ModelFile, CorruptionIsDetectedEverywhere) {
  Fixture f;
  auto dir = testing::scratch_dir("corrupt");
  auto path = (dir / "m").string();
  save_model(path, *f.model, f.catalog);
  auto bytes = read_whole_file(path);
  // Every truncation and a flipped byte at many offsets give an Error, never a crash.
  for (size_t cut = 0; cut < bytes.size(); cut += std::max<size_t>(1, bytes.size() / 97)) {
    EXPECT_THROW(load_model_from_bytes(bytes.substr(0, cut), "cut"), Error) << cut;
  }
  for (size_t at = 0; at < bytes.size(); at += std::max<size_t>(1, bytes.size() / 89)) {
    auto flipped = bytes;
    flipped[at] ^= 0x5A;
    EXPECT_THROW(load_model_from_bytes(flipped, "flip"), Error) << at;
  }
  EXPECT_THROW(load_model("/nonexistent/model"), Error);
}

}  // namespace pocketrec
