// Every encoder's export, run by pocketrec's interpreter, ranks like the trained model.
#include <gtest/gtest.h>

#include <climits>

#include <cmath>

#include "data/context_window.hpp"
#include "export/export_fixture.hpp"
#include "pocketrec/recommender.hpp"
#include "tflite/interpreter.hpp"
#include "tflite/pocketrec_metadata.hpp"

namespace pocketrec {
namespace {

using testing::export_cases;
using testing::make_catalog;
using testing::make_model;
using testing::model_top_k;
using testing::sample_histories;

// Runs the exported graph on one history of catalog rows; returns (graph ids, scores).
std::pair<std::vector<int32_t>, std::vector<float>> run_export(tfl::Interpreter& interp,
                                                               const ModelConfig& config,
                                                               const Catalog& catalog,
                                                               bool external,
                                                               const std::vector<uint32_t>& rows) {
  std::vector<int32_t> context(config.context_length);
  fill_context(rows, config.layout, context);
  for (int32_t& id : context) {
    if (id > 0 && external) id = static_cast<int32_t>(std::stoi(catalog.item(id).id));
  }
  std::copy(context.begin(), context.end(), interp.input(0).as<int32_t>());
  interp.invoke();
  const auto& ids = interp.output(interp.find_output("top_prediction_ids"));
  const auto& scores = interp.output(interp.find_output("top_prediction_scores"));
  return {{ids.as<int32_t>(), ids.as<int32_t>() + ids.elements()},
          {scores.as<float>(), scores.as<float>() + scores.elements()}};
}

void check_export(const testing::ExportCase& c, bool integer_ids) {
  SCOPED_TRACE(c.name + (integer_ids ? " (external ids)" : " (catalog rows)"));
  Catalog catalog = make_catalog(c.config.items, integer_ids);
  DualEncoder model = make_model(c.config, 11);
  ExportOptions options;
  options.top_k = 12;
  ExportResult result = export_tflite(model, catalog, options);
  EXPECT_EQ(result.external_ids, integer_ids);
  EXPECT_EQ(result.top_k, 12);
  auto file = tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), c.name);
  ASSERT_EQ(file->signatures().size(), 1u);
  EXPECT_EQ(file->signatures()[0].key, "serving_default");
  tfl::Interpreter interp(file);
  for (const auto& history : sample_histories(c.config.items, c.config.context_length)) {
    auto want = model_top_k(model, history, 12);
    auto [ids, scores] = run_export(interp, c.config, catalog, integer_ids, history);
    for (int i = 0; i < 12; ++i) {
      int32_t expected = integer_ids ? std::stoi(catalog.item(want.rows[i]).id)
                                     : static_cast<int32_t>(want.rows[i]);
      EXPECT_EQ(ids[i], expected) << "rank " << i << ", history of " << history.size();
      EXPECT_NEAR(scores[i], want.scores[i], 1e-4) << "rank " << i;
    }
  }
}

TEST(TfliteExport, EveryEncoderRanksLikeTheModelWithExternalIds) {
  for (const auto& c : export_cases()) check_export(c, true);
}

TEST(TfliteExport, EveryEncoderRanksLikeTheModelWithCatalogRows) {
  for (const auto& c : export_cases()) check_export(c, false);
}

TEST(TfliteExport, NonItemsAreNeverReturned) {
  // 40 items with ids 3, 5, ..., 81: the 82-row table has 42 rows that are not items.
  auto c = export_cases()[0];
  Catalog catalog = make_catalog(c.config.items, true);
  DualEncoder model = make_model(c.config, 3);
  ExportOptions options;
  options.top_k = 1000;  // clamped to the 40 items
  ExportResult result = export_tflite(model, catalog, options);
  EXPECT_EQ(result.top_k, 40);
  tfl::Interpreter interp(tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), "m"));
  auto [ids, scores] = run_export(interp, c.config, catalog, true, {1, 2});
  std::sort(ids.begin(), ids.end());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ids[i], 2 * (i + 1) + 1);
}

TEST(TfliteExport, IdsOutsideTheTablesCountAsPadding) {
  for (const auto& c : export_cases()) {
    SCOPED_TRACE(c.name);
    Catalog catalog = make_catalog(c.config.items, true);
    DualEncoder model = make_model(c.config, 5);
    ExportOptions options;
    options.top_k = 10;
    ExportResult result = export_tflite(model, catalog, options);
    tfl::Interpreter interp(tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), "m"));
    auto answer = [&](const std::vector<int32_t>& context) {
      std::copy(context.begin(), context.end(), interp.input(0).as<int32_t>());
      interp.invoke();
      const auto& ids = interp.output(interp.find_output("top_prediction_ids"));
      return std::vector<int32_t>(ids.as<int32_t>(), ids.as<int32_t>() + ids.elements());
    };
    std::vector<int32_t> padded(c.config.context_length, 0), foreign(c.config.context_length, 0);
    padded.back() = foreign.back() = 5;  // one real item (external id 5), newest
    foreign[0] = -1;
    if (foreign.size() > 2) foreign[1] = result.vocabulary;  // one past the table
    if (foreign.size() > 3) foreign[2] = INT32_MAX;
    EXPECT_EQ(answer(foreign), answer(padded));
  }
}

TEST(TfliteExport, MetadataMakesTheFileAFullModel) {
  auto c = export_cases()[2];
  c.config.layout = HistoryLayout::kOldestFirst;
  Catalog catalog = make_catalog(c.config.items, false);
  DualEncoder model = make_model(c.config, 5);
  ExportResult result = export_tflite(model, catalog, {});
  auto file = tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), "m");
  auto info = tfl::parse_model_info(*file->metadata(tfl::kInfoMetadata), "m");
  EXPECT_EQ(info.encoder, "gru");
  EXPECT_EQ(info.context_length, 7);
  EXPECT_EQ(info.layout, "oldest-first");
  EXPECT_FALSE(info.external_ids);
  auto items = tfl::parse_catalog(*file->metadata(tfl::kCatalogMetadata), "m");
  ASSERT_EQ(items.size(), 40u);
  EXPECT_EQ(items[4].id, "item-5");
  EXPECT_EQ(items[4].title, "Title 5");
  EXPECT_EQ(items[4].genres, std::vector<std::string>{"Drama"});
  EXPECT_TRUE(file->metadata(tfl::kConfigMetadata).has_value());
  auto runtime = file->metadata("min_runtime_version");
  ASSERT_TRUE(runtime.has_value());
  EXPECT_EQ(runtime->size(), 16u);

  // The recommender maps external ids both ways and drops the history from the results.
  auto rec = Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "m");
  EXPECT_FALSE(rec->find("nope").has_value());
  std::vector<uint32_t> history{*rec->find("item-3"), *rec->find("item-9")};
  Session session(rec);
  Query query;
  query.history = history;
  query.k = 5;
  std::vector<Result> results;
  session.recommend(query, results);
  auto want = model_top_k(model, {3, 9}, 7);
  std::vector<std::string> expected;
  for (uint32_t row : want.rows) {
    if (row != 3 && row != 9 && expected.size() < 5) expected.push_back(catalog.item(row).id);
  }
  std::vector<std::string> got;
  for (const auto& r : results) got.push_back(rec->item(r.item).id);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(rec->item(results[0].item).title, catalog.item(*catalog.find(got[0])).title);
}

TEST(TfliteExport, ReferenceIoGivesSigmoidScoresAndRawIds) {
  auto c = export_cases()[0];
  Catalog catalog = make_catalog(c.config.items, true);
  DualEncoder model = make_model(c.config, 8);
  ExportOptions options;
  options.reference_io = true;
  options.top_k = 10;
  ExportResult result = export_tflite(model, catalog, options);
  tfl::Interpreter interp(tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), "m"));
  EXPECT_EQ(interp.input(0).name, "serving_default_context:0");
  auto [ids, scores] = run_export(interp, c.config, catalog, true, {4, 6});
  auto want = model_top_k(model, {4, 6}, 10);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ids[i], std::stoi(catalog.item(want.rows[i]).id));
    EXPECT_NEAR(scores[i], 1.0 / (1.0 + std::exp(-want.scores[i])), 1e-5);
  }
  EXPECT_NE(reference_app_config("m.tflite", result, 7).find("\"outputIdsIndex\": 0"),
            std::string::npos);
  std::string vocab = reference_movie_vocab(catalog);
  EXPECT_EQ(vocab.rfind("[{\"id\":3,\"title\":\"Title 1\"", 0), 0u) << vocab.substr(0, 80);

  Catalog strings = make_catalog(c.config.items, false);
  EXPECT_THROW(export_tflite(model, strings, options), Error);
}

TEST(TfliteExport, Int8TablesAreAQuarterAndRankAlmostTheSame) {
  for (const auto& c : export_cases()) {
    SCOPED_TRACE(c.name);
    ModelConfig config = c.config;
    config.items = 400;
    config.embedding_dim = 32;
    config.output_dim = config.tie_embeddings ? 32 : 32;
    Catalog catalog = make_catalog(config.items, true);
    DualEncoder model = make_model(config, 21);
    ExportOptions options;
    options.top_k = 10;
    ExportResult f32 = export_tflite(model, catalog, options);
    options.quantize_int8 = true;
    ExportResult i8 = export_tflite(model, catalog, options);
    // The two tables dominate; the rest (metadata, small layers) stays float. An attention
    // model of this tiny catalog has 16-column per-head projections (512 values each, kept
    // float) next to 801-row tables, so its share of float weights is larger.
    // Tied models store one float table (used by both the GATHER and the scores) but two int8
    // ones (the int8 context table is gathered without quantization parameters), so int8 saves
    // less against a float file that is already smaller.
    const double bound = config.tie_embeddings                       ? 0.72
                         : config.encoder == EncoderKind::kAttention ? 0.55
                                                                     : 0.45;
    EXPECT_LT(i8.bytes.size(), f32.bytes.size() * bound)
        << f32.bytes.size() << " " << i8.bytes.size();
    tfl::Interpreter a(tfl::Model::from_bytes(f32.bytes.data(), f32.bytes.size(), "f32"));
    tfl::Interpreter b(tfl::Model::from_bytes(i8.bytes.data(), i8.bytes.size(), "int8"));
    int overlap = 0, total = 0;
    for (const auto& history : sample_histories(config.items, config.context_length)) {
      auto [ia, sa] = run_export(a, config, catalog, true, history);
      auto [ib, sb] = run_export(b, config, catalog, true, history);
      for (int i = 0; i < 10; ++i) {
        overlap += std::count(ia.begin(), ia.end(), ib[i]);
        EXPECT_NEAR(sa[i], sb[i], 0.05f);
        ++total;
      }
    }
    EXPECT_GE(overlap, total * 8 / 10);
  }
}

}  // namespace
}  // namespace pocketrec

namespace pocketrec::testing {

TEST(TfliteExport, TiedTablesAreStoredOnce) {
  ModelConfig config;
  config.items = 400;
  config.embedding_dim = 32;
  config.output_dim = 32;
  Catalog catalog = make_catalog(config.items, true);
  ExportOptions options;
  const size_t separate = export_tflite(make_model(config, 5), catalog, options).bytes.size();
  config.tie_embeddings = true;
  const size_t tied = export_tflite(make_model(config, 5), catalog, options).bytes.size();
  // Two 801 x 32 float tables dominate the untied file; the tied one holds one of them.
  EXPECT_LT(tied, separate * 0.6) << tied << " vs " << separate;
}

}  // namespace pocketrec::testing

namespace pocketrec::testing {

TEST(TfliteExport, AttentionFileGrowsLinearlyWithLength) {
  // The masks are computed in the graph from position vectors; stored [L, L] constants made a
  // default ml-1m-sasrec model (L = 200) 320 KB larger than its weights.
  ModelConfig config;
  config.encoder = EncoderKind::kAttention;
  config.items = 50;
  config.embedding_dim = 8;
  config.output_dim = 0;
  config.hidden = {};
  config.tie_embeddings = true;
  Catalog catalog = make_catalog(config.items, true);
  ExportOptions options;
  config.context_length = 20;
  const size_t short_file = export_tflite(make_model(config, 3), catalog, options).bytes.size();
  config.context_length = 200;
  const size_t long_file = export_tflite(make_model(config, 3), catalog, options).bytes.size();
  // 180 more rows of position embeddings and two 180-value position vectors, plus slack for
  // tensor headers; a stored [L, L] mask alone would add 158 KB.
  const size_t weights = 180 * (config.embedding_dim + 2) * sizeof(float);
  EXPECT_LT(long_file, short_file + weights + 4096) << short_file << " -> " << long_file;
}

}  // namespace pocketrec::testing
