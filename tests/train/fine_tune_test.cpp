#include "train/fine_tune.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "data/dataset_source.hpp"
#include "data/split.hpp"
#include "data/synth.hpp"
#include "eval/evaluator.hpp"
#include "model/feature_inputs.hpp"
#include "model/input_config.hpp"
#include "train/synthetic_log.hpp"
#include "train/trainer.hpp"

namespace pocketrec {
namespace {

Catalog catalog_of(const std::vector<std::pair<std::string, std::vector<std::string>>>& items) {
  Catalog catalog;
  for (const auto& [id, genres] : items) {
    CatalogItem item;
    item.id = id;
    item.genres = genres;
    catalog.add(item);
  }
  return catalog;
}

// Three items a, b, c (genres X, Y, X) with 2-wide input and label rows and a bias; every value
// distinct so that a copied or averaged row is recognizable.
DualEncoder small_model() {
  ModelConfig config;
  config.items = 3;
  config.embedding_dim = 2;
  config.output_dim = 2;
  config.hidden = {};
  DualEncoder model(config);
  float value = 1;
  for (auto& p : model.parameters()) {
    for (auto& v : p.value.data) v = value++;
  }
  return model;
}

const nn::Matrix& param(const DualEncoder& model, const std::string& name) {
  for (const auto& p : model.parameters())
    if (p.name == name) return p.value;
  throw Error("no parameter " + name);
}

std::vector<float> row(const nn::Matrix& m, int r) {
  return {m.row(r), m.row(r) + m.cols};
}

TEST(FineTune, KeptRowsAreCopiedAndNewRowsAverageTheirGenrePeers) {
  const DualEncoder model = small_model();
  const Catalog old = catalog_of({{"a", {"X"}}, {"b", {"Y"}}, {"c", {"X"}}});
  const Catalog fresh = catalog_of({{"b", {"Y"}}, {"d", {"X"}}, {"e", {"Z"}}});
  GrownModel grown = grow_model(model, old, fresh, false);
  EXPECT_EQ(grown.change.kept, 1u);
  EXPECT_EQ(grown.change.added, 2u);
  EXPECT_EQ(grown.change.vanished, 2u);
  ASSERT_EQ(grown.catalog.size(), 5u);  // a b c d e
  EXPECT_EQ(grown.catalog.item(4).id, "d");
  EXPECT_EQ(grown.catalog.item(1).count, 0u);  // a is not in the new log
  for (const char* name : {"context_embedding", "label_embedding"}) {
    SCOPED_TRACE(name);
    const nn::Matrix& before = param(model, name);
    const nn::Matrix& after = param(*grown.model, name);
    for (int r = 0; r <= 3; ++r) EXPECT_EQ(row(after, r), row(before, r));
    // d (genre X): the mean of a and c; e (genre Z, no peer): the mean of a, b and c.
    EXPECT_EQ(row(after, 4), (std::vector<float>{(before.at(1, 0) + before.at(3, 0)) / 2,
                                                 (before.at(1, 1) + before.at(3, 1)) / 2}));
    EXPECT_FLOAT_EQ(after.at(5, 0), (before.at(1, 0) + before.at(2, 0) + before.at(3, 0)) / 3);
  }
  const nn::Matrix& bias = param(*grown.model, "label_bias");
  const nn::Matrix& old_bias = param(model, "label_bias");
  EXPECT_EQ(bias.at(0, 2), old_bias.at(0, 2));
  EXPECT_FLOAT_EQ(bias.at(0, 4), (old_bias.at(0, 1) + old_bias.at(0, 3)) / 2);
  // Everything else is the old model's.
  EXPECT_EQ(param(*grown.model, "projection/weight").data, param(model, "projection/weight").data);
}

TEST(FineTune, DroppingVanishedItemsKeepsOnlyTheNewLogsCatalog) {
  const DualEncoder model = small_model();
  const Catalog old = catalog_of({{"a", {"X"}}, {"b", {"Y"}}, {"c", {"X"}}});
  const Catalog fresh = catalog_of({{"b", {"Y"}}, {"d", {"X"}}});
  GrownModel grown = grow_model(model, old, fresh, true);
  ASSERT_EQ(grown.catalog.size(), 2u);  // b d
  EXPECT_EQ(grown.catalog.item(1).id, "b");
  EXPECT_TRUE(grown.change.vanished_dropped);
  const nn::Matrix& before = param(model, "context_embedding");
  const nn::Matrix& after = param(*grown.model, "context_embedding");
  EXPECT_EQ(row(after, 1), row(before, 2));
  // a and c, d's genre peers, are gone: d starts from the only kept item, b.
  EXPECT_EQ(row(after, 2), row(before, 2));
  EXPECT_EQ(grown.model->config().items, 2);
}

const Dataset& new_log() {
  static Dataset dataset = testing::synthetic_log("fine_tune_synth", 400, 200, 30);
  return dataset;
}

TEST(FineTune, RefusesSideFeatureModels) {
  const Dataset& dataset = new_log();
  ModelConfig config;
  config.items = static_cast<int>(dataset.catalog.size());
  apply_feature_list({"genre"}, config);
  bind_features(config, dataset);
  DualEncoder model(config);
  EXPECT_THROW(grow_model(model, dataset.catalog, dataset.catalog, false), Error);
}

TrainConfig quick(int epochs) {
  TrainConfig train;
  train.epochs = epochs;
  train.threads = 2;
  train.learning_rate = 0.005f;
  return train;
}

double test_ndcg(const DualEncoder& model, const Dataset& dataset, const Split& split) {
  ThreadPool pool(2);
  return evaluate(model_scorer(model, dataset), dataset, split.test, {}, pool).ndcg(10);
}

TEST(FineTune, NewestInteractionsImproveTheOldModelFasterThanTrainingAnew) {
  // The old log: the older 60% of every timeline, without the catalog's last 30 items.
  const Dataset& fresh = new_log();
  Dataset old = fresh;
  for (auto& t : old.timelines) {
    const size_t keep = t.items.size() * 6 / 10;
    t.items.resize(keep);
    t.times.resize(keep);
    t.ratings.resize(keep);
  }
  Catalog old_catalog;
  for (uint32_t i = 1; i + 30 <= fresh.catalog.size(); ++i) old_catalog.add(fresh.catalog.item(i));
  align_to_catalog(old, old_catalog, 3);
  ModelConfig config;
  config.items = static_cast<int>(old.catalog.size());
  config.embedding_dim = 16;
  config.output_dim = 16;
  DualEncoder old_model(config);
  old_model.initialize(1);
  TrainOptions options;
  options.progress = false;
  Trainer(old_model, old, leave_one_out_split(old), quick(8)).run(options);

  GrownModel grown = grow_model(old_model, old.catalog, fresh.catalog, false);
  EXPECT_EQ(grown.change.added, 30u);
  Dataset now = fresh;
  EXPECT_EQ(align_to_catalog(now, grown.catalog, 3), 0u);
  const Split split = leave_one_out_split(now);
  const double before = test_ndcg(*grown.model, now, split);
  Trainer(*grown.model, now, split, quick(2)).run(options);
  const double tuned = test_ndcg(*grown.model, now, split);

  ModelConfig fresh_config = grown.model->config();
  DualEncoder scratch(fresh_config);
  scratch.initialize(1);
  Trainer(scratch, now, split, quick(2)).run(options);
  const double anew = test_ndcg(scratch, now, split);
  EXPECT_GT(tuned, before * 1.1) << before << " -> " << tuned;
  EXPECT_GT(tuned, anew * 1.1) << "two epochs from scratch: " << anew;
}

}  // namespace
}  // namespace pocketrec
