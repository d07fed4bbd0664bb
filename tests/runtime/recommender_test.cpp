// The runtime's fast path (graph up to the user vector, then SIMD scoring) against the whole graph
// run by the interpreter, for the starter models and every export; filters; threads.
#include <gtest/gtest.h>

#include <random>

#include "runtime/fused_rnn.hpp"
#include "runtime/recommender_impl.hpp"
#include "tflite/interpreter.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "export/export_fixture.hpp"
#include "pocketrec/recommender.hpp"
#include "test_util.hpp"
#include "tflite/interpreter.hpp"

namespace pocketrec {
namespace {

// The graph's own top-K (ids as item indices, non-items dropped) for a history of item indices.
std::vector<Result> graph_top_k(const Recommender& rec, const std::string& path_or_empty,
                                const std::vector<uint8_t>& bytes,
                                const std::vector<uint32_t>& history) {
  auto model = path_or_empty.empty() ? tfl::Model::from_bytes(bytes.data(), bytes.size(), "m")
                                     : tfl::Model::load_file(path_or_empty);
  tfl::Interpreter interp(model);
  const auto& s = rec.summary();
  const size_t length = s.context_length, n = std::min(history.size(), length);
  int32_t* input = interp.input(0).as<int32_t>();
  std::fill(input, input + length, 0);
  size_t offset = s.layout == "newest-last" ? length - n : 0;
  for (size_t i = 0; i < n; ++i) {
    input[offset + i] = std::stoi(rec.item(history[history.size() - n + i]).id);
  }
  interp.invoke();
  int ids_out = -1, scores_out = -1;
  for (size_t i = 0; i < interp.output_count(); ++i) {
    (interp.output(i).type == tfl::DType::kInt32 ? ids_out : scores_out) = static_cast<int>(i);
  }
  std::vector<Result> out;
  for (int64_t i = 0; i < interp.output(ids_out).elements(); ++i) {
    auto item = rec.find(std::to_string(interp.output(ids_out).as<int32_t>()[i]));
    if (item) out.push_back({*item, interp.output(scores_out).as<float>()[i]});
  }
  return out;
}

// Same items in the same order, scores within `tolerance`; a different item at a rank is only
// accepted where the two scores tie within the tolerance (int8 tables).
void expect_fast_path_matches_graph(const std::vector<Result>& graph,
                                    const std::vector<Result>& fast, double tolerance = 1e-5) {
  ASSERT_GE(fast.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(fast[i].score, graph[i].score, tolerance) << "rank " << i;
    if (tolerance <= 1e-5) {
      EXPECT_EQ(fast[i].item, graph[i].item) << "rank " << i;
    }
  }
}

TEST(Recommender, FastPathEqualsTheStarterGraphs) {
  auto dir = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared reference data absent, skipping";
  for (const char* file : {"model_history10_top100.tflite", "recommendation_cnn_i10o100.tflite",
                           "recommendation_rnn_i10o100.tflite"}) {
    SCOPED_TRACE(file);
    std::string path = (dir / file).string();
    auto rec = Recommender::load_file(path);
    ASSERT_TRUE(rec->summary().fast_path);
    EXPECT_TRUE(rec->summary().sigmoid_scores);
    EXPECT_EQ(rec->summary().dim, 16);
    EXPECT_EQ(rec->item_count(), 3952u);  // ids 1..3952 of the 3953-row table
    Session session(rec);
    for (std::vector<std::string> ids :
         {std::vector<std::string>{"260", "1196", "1210"},
          std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"},
          std::vector<std::string>{}}) {
      std::vector<uint32_t> history;
      for (const auto& id : ids) history.push_back(*rec->find(id));
      Query q;
      q.history = history;
      q.k = 40;
      q.exclude_history = false;
      std::vector<Result> fast;
      session.recommend(q, fast);
      expect_fast_path_matches_graph(graph_top_k(*rec, path, {}, history), fast);
    }
  }
}

// An export of `config` with 300 items, loaded through the runtime.
std::shared_ptr<const Recommender> load_export(ModelConfig config, bool int8, uint64_t seed,
                                               int top_k = 100,
                                               ModelLoadOptions load_options = {}) {
  config.items = 300;
  Catalog catalog = testing::make_catalog(config.items, true);
  DualEncoder model = testing::make_model(config, seed);
  ExportOptions options;
  options.top_k = top_k;
  options.quantize_int8 = int8;
  ExportResult result = export_tflite(model, catalog, options);
  return Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "m", load_options);
}

TEST(Recommender, FastPathEqualsEveryExport) {
  for (bool int8 : {false, true}) {
    for (const auto& c : testing::export_cases()) {
      SCOPED_TRACE(c.name + (int8 ? " int8" : ""));
      ModelConfig config = c.config;
      config.items = 300;
      Catalog catalog = testing::make_catalog(config.items, true);
      DualEncoder model = testing::make_model(config, 23);
      ExportOptions options;
      options.top_k = 300;
      options.quantize_int8 = int8;
      ExportResult result = export_tflite(model, catalog, options);
      auto rec = Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "m");
      ASSERT_TRUE(rec->summary().fast_path);
      EXPECT_EQ(rec->summary().quantized, int8);  // 301 rows x D >= 4 is above the 1024 cut
      Session session(rec);
      for (const auto& rows : testing::sample_histories(config.items, config.context_length)) {
        std::vector<uint32_t> history;
        for (uint32_t r : rows) history.push_back(r - 1);
        Query q;
        q.history = history;
        q.k = 30;
        q.exclude_history = false;
        std::vector<Result> fast;
        session.recommend(q, fast);
        // int8: the user vector is quantized to int16 per query, within 1e-3 of the graph here
        // (the bound is 0.5 * max|u| / 32767 * scale_row * sum|q_row|).
        expect_fast_path_matches_graph(graph_top_k(*rec, "", result.bytes, history), fast,
                                       int8 ? 1e-3 : 1e-5);
      }
    }
  }
}

TEST(Recommender, PrefilterCanBeTurnedOffAtLoad) {
  const ModelConfig config = testing::export_cases().front().config;
  auto with = load_export(config, false, 29);
  ModelLoadOptions options;
  options.prefilter = false;
  auto without = load_export(config, false, 29, 100, options);
  EXPECT_TRUE(with->summary().prefilter);
  EXPECT_FALSE(without->summary().prefilter);
  // The prefilter keeps int8 codes and a row-major copy beside the float table.
  EXPECT_GT(with->summary().table_bytes, without->summary().table_bytes * 3 / 2);
  Session a(with), b(without);
  size_t queries = 0;
  for (const auto& rows : testing::sample_histories(300, config.context_length)) {
    std::vector<uint32_t> history;
    for (uint32_t r : rows) history.push_back(r - 1);
    Query q;
    q.history = history;
    // The prefilter steps aside when k exceeds the table's 64-row chunks (5 here).
    q.k = queries++ % 2 == 0 ? 20 : 4;
    std::vector<Result> fast, exact;
    a.recommend(q, fast);
    b.recommend(q, exact);
    ASSERT_EQ(fast.size(), exact.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].item, exact[i].item) << i;
      EXPECT_EQ(fast[i].score, exact[i].score) << i;
    }
  }
  // The sessions' counts of the paths their queries took.
  const SessionStats prefiltered = a.stats(), full = b.stats();
  // At most the k = 4 queries (some of which the prefilter may leave, where it stops paying).
  EXPECT_GT(prefiltered.prefiltered_queries, 0u);
  EXPECT_LE(prefiltered.prefiltered_queries, queries / 2);
  EXPECT_EQ(prefiltered.prefiltered_queries + prefiltered.full_queries, queries);
  EXPECT_GE(prefiltered.prefilter_exact_rows, prefiltered.prefiltered_queries * 4);
  EXPECT_LE(prefiltered.two_part_queries, prefiltered.prefiltered_queries);
  EXPECT_EQ(full.prefiltered_queries, 0u);
  EXPECT_EQ(full.full_queries, queries);
  EXPECT_EQ(full.coarse_queries, 0u);
}

// The fused encoder against the interpreter on random inputs (padding, then ids), bit for bit;
// ids outside the tables fail as GATHER makes them fail.
void expect_fused_matches_interpreter(const Recommender& rec, std::mt19937& rng) {
  const auto& d = RecommenderAccess::impl(rec);
  ASSERT_TRUE(d.fused);
  tfl::Interpreter interp(d.model, d.user_tensor);
  const int length = d.fused->length(), dim = d.fused->dim();
  std::vector<float> scratch(d.fused->scratch_floats()), user(dim);
  for (int trial = 0; trial < 300; ++trial) {
    int32_t* ids = interp.input(0).as<int32_t>();
    // Padding before the history, and on every third trial also scattered through it (the
    // recurrent encoders carry their state over each padded step); every fifth trial pads the
    // end instead (the attention encoder's newest position then has no item of its own).
    const int padding = static_cast<int>(rng() % (length + 1));
    const bool scattered = trial % 3 == 0, at_end = trial % 5 == 1;
    for (int i = 0; i < length; ++i) {
      const bool pad =
          (at_end ? i >= length - padding : i < padding) || (scattered && rng() % 4 == 0);
      ids[i] = pad ? 0 : static_cast<int32_t>(1 + rng() % (d.fused->rows() - 1));
    }
    interp.reset_variables();  // the starter LSTM keeps its state in variables
    interp.invoke();
    d.fused->encode(ids, user.data(), scratch.data());
    const float* want = interp.tensor(d.user_tensor).as<float>();
    for (int k = 0; k < dim; ++k) ASSERT_EQ(user[k], want[k]) << "trial " << trial;
  }
  std::vector<int32_t> bad(length, 0);
  bad[0] = d.fused->rows();
  EXPECT_THROW(d.fused->encode(bad.data(), user.data(), scratch.data()), Error);
  bad[0] = -1;
  EXPECT_THROW(d.fused->encode(bad.data(), user.data(), scratch.data()), Error);
}

TEST(Recommender, FusedEncodersMatchTheInterpreterBitForBit) {
  std::mt19937 rng(31);
  for (bool int8 : {false, true}) {
    for (const auto& c : testing::export_cases()) {
      SCOPED_TRACE(c.name + (int8 ? " int8" : ""));
      auto rec = load_export(c.config, int8, 37);
      // Every export is fused, float32 and int8 (whose weights the encoders dequantize at load,
      // as the graph does per query).
      const std::string encoder(name(c.config.encoder));
      ASSERT_TRUE(rec->summary().fused_encoder);
      std::string name = encoder;
      if (encoder != "attention") {
        for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      EXPECT_EQ(rec->summary().fused_encoder_name, name);
      expect_fused_matches_interpreter(*rec, rng);
    }
  }
  // The reference's starter models: BOW has the other form of the masked mean; LSTM runs
  // UNIDIRECTIONAL_SEQUENCE_LSTM and CNN two CONV_2D, whose own kernels the fused encoders call.
  auto dir = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared reference data absent, skipping";
  for (const auto& [file, name] : {std::pair{"model_history10_top100.tflite", "BOW"},
                                   std::pair{"recommendation_rnn_i10o100.tflite", "LSTM"},
                                   std::pair{"recommendation_cnn_i10o100.tflite", "CNN"}}) {
    SCOPED_TRACE(file);
    auto rec = Recommender::load_file((dir / file).string());
    ASSERT_TRUE(rec->summary().fused_encoder);
    EXPECT_EQ(rec->summary().fused_encoder_name, name);
    expect_fused_matches_interpreter(*rec, rng);
  }
}

// Two fused encoders of one model (with and without a table of input terms) against the
// interpreter on random histories, padded before them and on every third trial also through them,
// bit for bit.
void expect_both_match_interpreter(const Recommender& rec, const runtime::FusedEncoder& a_enc,
                                   const runtime::FusedEncoder& b_enc, int trials,
                                   std::mt19937& rng) {
  const auto& d = RecommenderAccess::impl(rec);
  tfl::Interpreter interp(d.model, d.user_tensor);
  const int length = a_enc.length(), dim = a_enc.dim();
  std::vector<float> scratch(std::max(a_enc.scratch_floats(), b_enc.scratch_floats())), a(dim),
      b(dim);
  for (int trial = 0; trial < trials; ++trial) {
    int32_t* ids = interp.input(0).as<int32_t>();
    const int padding = static_cast<int>(rng() % (length + 1));
    for (int i = 0; i < length; ++i) {
      const bool pad = i < padding || (trial % 3 == 0 && rng() % 4 == 0);
      ids[i] = pad ? 0 : static_cast<int32_t>(1 + rng() % (a_enc.rows() - 1));
    }
    interp.reset_variables();
    interp.invoke();
    a_enc.encode(ids, a.data(), scratch.data());
    b_enc.encode(ids, b.data(), scratch.data());
    const float* want = interp.tensor(d.user_tensor).as<float>();
    for (int k = 0; k < dim; ++k) {
      ASSERT_EQ(a[k], want[k]) << "trial " << trial;
      ASSERT_EQ(b[k], want[k]) << "trial " << trial;
    }
  }
}

// The recurrent exports' encoders take every item's input terms from a table computed at load
// where it fits (kMaxProjectedBytes); beyond that each step computes its own. Both ways must give
// the interpreter's bits, with 5 units and with 16 (whose state products and dense layer take
// the paired-rows kernel where vectors hold 16 floats).
TEST(Recommender, RecurrentEncodersWithAndWithoutPrecomputedInputTerms) {
  std::mt19937 rng(41);
  int checked = 0;
  for (bool int8 : {false, true}) {
    for (const auto& c : testing::export_cases()) {
      if (!is_recurrent(c.config.encoder)) continue;
      for (int units : {5, 16}) {
        SCOPED_TRACE(c.name + (int8 ? " int8 " : " ") + std::to_string(units) + " units");
        ModelConfig config = c.config;
        config.rnn_units = units;
        config.hidden = {units};
        auto rec = load_export(config, int8, 43);
        const auto& d = RecommenderAccess::impl(*rec);
        const auto projected = runtime::FusedRnn::match(*d.model, d.user_tensor);
        const auto computed = runtime::FusedRnn::match(*d.model, d.user_tensor, 0);
        ASSERT_TRUE(projected && computed);
        EXPECT_TRUE(projected->projects_inputs());
        EXPECT_FALSE(computed->projects_inputs());
        expect_both_match_interpreter(*rec, *projected, *computed, 100, rng);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 8);  // LSTM and GRU, float32 and int8, two sizes
}

// The starter LSTM's encoder takes every item's input terms from a table computed at load (1 MB
// at 3,953 items x 64 terms); a model whose table would not fit computes them each step. Both
// must give the interpreter's bits, with padding before and through the history.
TEST(Recommender, StarterLstmWithAndWithoutPrecomputedInputTerms) {
  auto file = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite" /
              "recommendation_rnn_i10o100.tflite";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared reference data absent, skipping";
  auto rec = Recommender::load_file(file.string());
  const auto& d = RecommenderAccess::impl(*rec);
  const auto projected = runtime::FusedSequenceLstm::match(*d.model, d.user_tensor);
  const auto computed = runtime::FusedSequenceLstm::match(*d.model, d.user_tensor, 0);
  ASSERT_TRUE(projected && computed);
  EXPECT_TRUE(projected->projects_inputs());
  EXPECT_FALSE(computed->projects_inputs());
  std::mt19937 rng(47);
  expect_both_match_interpreter(*rec, *projected, *computed, 300, rng);
}

TEST(Recommender, FiltersAndEdgeCases) {
  auto c = testing::export_cases()[0];
  Catalog catalog = testing::make_catalog(c.config.items, true);
  DualEncoder model = testing::make_model(c.config, 29);
  ExportResult result = export_tflite(model, catalog, {});
  auto rec = Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "m");
  Session session(rec);
  std::vector<uint32_t> history{4, 9, 4}, blocked{0, 1, 2}, allowed{5, 9, 12, 5};
  std::vector<Result> all, out;
  Query q;
  q.history = history;
  q.k = 1000;  // above the 40 items
  q.exclude_history = false;
  session.recommend(q, all);
  ASSERT_EQ(all.size(), 40u);
  q.exclude_history = true;
  q.blocked = blocked;
  session.recommend(q, out);
  EXPECT_EQ(out.size(), 35u);
  for (const auto& r : out) {
    EXPECT_NE(r.item, 4u);
    EXPECT_NE(r.item, 9u);
    EXPECT_GT(r.item, 2u);
  }
  q.allowed = allowed;
  session.recommend(q, out);
  ASSERT_EQ(out.size(), 2u);  // 9 is history, 5 listed twice comes once
  EXPECT_TRUE((out[0].item == 5 && out[1].item == 12) || (out[0].item == 12 && out[1].item == 5));
  q.allowed = {};
  q.blocked = {};
  q.k = 0;
  session.recommend(q, out);
  EXPECT_TRUE(out.empty());
  // Every item filtered.
  std::vector<uint32_t> everything(40);
  std::iota(everything.begin(), everything.end(), 0u);
  q.k = 5;
  q.blocked = everything;
  session.recommend(q, out);
  EXPECT_TRUE(out.empty());
  // Bad indices are errors, not crashes; the session stays usable.
  std::vector<uint32_t> bad{40};
  q.blocked = bad;
  EXPECT_THROW(session.recommend(q, out), Error);
  q.blocked = {};
  session.recommend(q, out);
  EXPECT_EQ(out.size(), 5u);
  // Every filter is undone after each query, one that failed part-way through its lists included.
  std::vector<uint32_t> partly_bad{7, 8, 40}, allowed_bad{6, 40};
  q.blocked = partly_bad;
  EXPECT_THROW(session.recommend(q, out), Error);
  q.blocked = {};
  q.allowed = allowed_bad;
  EXPECT_THROW(session.recommend(q, out), Error);
  q.allowed = {};
  q.exclude_history = false;
  q.k = 1000;
  session.recommend(q, out);
  ASSERT_EQ(out.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(out[i].item, all[i].item) << i;
    EXPECT_EQ(out[i].score, all[i].score) << i;
  }
  // Similar items: never the item itself, cosine in [-1, 1], best first.
  session.similar(3, 5, out);
  ASSERT_EQ(out.size(), 5u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_NE(out[i].item, 3u);
    EXPECT_LE(std::fabs(out[i].score), 1.0001f);
    if (i) {
      EXPECT_GE(out[i - 1].score, out[i].score);
    }
  }
}

TEST(Recommender, ManyThreadsShareOneModel) {
  // GRU, fused: its state lives in each session's scratch; and through the interpreter, whose
  // tensors are per session.
  for (bool fused : {true, false}) {
    auto c = testing::export_cases()[2];
    SCOPED_TRACE(fused ? "fused" : "interpreted");
    ASSERT_EQ(c.config.encoder, EncoderKind::kGru);
    c.config.items = 200;
    Catalog catalog = testing::make_catalog(c.config.items, true);
    DualEncoder model = testing::make_model(c.config, 31);
    ExportResult result = export_tflite(model, catalog, {});
    ModelLoadOptions options;
    options.fused_encoders = fused;
    auto rec = Recommender::load_buffer(result.bytes.data(), result.bytes.size(), "m", options);
    EXPECT_EQ(rec->summary().fused_encoder, fused);
    std::vector<std::vector<uint32_t>> histories;
    std::mt19937 rng(1);
    for (int i = 0; i < 400; ++i) {
      std::vector<uint32_t> h(1 + i % 9);
      for (auto& item : h) item = rng() % 200;
      histories.push_back(h);
    }
    Query q;
    q.k = 10;
    std::vector<std::vector<Result>> want, got;
    recommend_batch(rec, histories, q, 1, want);
    recommend_batch(rec, histories, q, 8, got);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].size(), want[i].size());
      for (size_t j = 0; j < want[i].size(); ++j) {
        EXPECT_EQ(got[i][j].item, want[i][j].item);
        EXPECT_EQ(got[i][j].score, want[i][j].score);
      }
    }
  }
}

// Loads a (possibly damaged) model through the Recommender and answers one query: true, or false
// when the load or the query fails with Error. Any other exception, or a crash, fails the test.
bool loads_and_answers(const std::vector<uint8_t>& bytes) {
  try {
    auto rec = Recommender::load_buffer(bytes.data(), bytes.size(), "fuzz");
    Session session(rec);
    std::vector<uint32_t> history{0, 1, 2};
    Query q;
    q.history = history;
    std::vector<Result> out;
    session.recommend(q, out);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Flipped bytes in models the fused encoders match (every pocketrec export, float32 and int8):
// loading fails with Error, or the model loads and answers; never a crash (the matchers read
// operators' inputs by position and tensors by name; ASan runs this in CI).
TEST(Recommender, FlippedBytesInFusableExportsNeverCrash) {
  std::mt19937 rng(2024);
  for (bool int8 : {false, true}) {
    for (const auto& c : testing::export_cases()) {
      SCOPED_TRACE(c.name + (int8 ? " int8" : ""));
      Catalog catalog = testing::make_catalog(c.config.items, true);
      DualEncoder model = testing::make_model(c.config, 41);
      ExportOptions options;
      options.quantize_int8 = int8;
      const std::vector<uint8_t> bytes = export_tflite(model, catalog, options).bytes;
      int loaded = 0;
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint8_t> mutated = bytes;
        for (int flips = 1 + trial % 3; flips > 0; --flips) {
          mutated[rng() % mutated.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        }
        loaded += loads_and_answers(mutated);
      }
      EXPECT_GT(loaded, 0);  // some flips land in weights and leave a working model
    }
  }
  // The starter LSTM and CNN (the sequence-operator and convolution matchers), flips aimed at
  // their operator tables (the last 12 KB of the file; the weights are the rest).
  const auto dir = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared reference data absent, skipping";
  for (const char* file :
       {"recommendation_rnn_i10o100.tflite", "recommendation_cnn_i10o100.tflite"}) {
    std::ifstream in(dir / file, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<uint8_t> mutated = bytes;
      mutated[mutated.size() - 1 - rng() % 12000] ^= static_cast<uint8_t>(1 + trial % 255);
      loads_and_answers(mutated);
    }
  }
}

TEST(Recommender, HostileFilesFailCleanly) {
  std::vector<uint8_t> junk(1000, 0x41);
  EXPECT_THROW(Recommender::load_buffer(junk.data(), junk.size(), "junk"), Error);
  EXPECT_THROW(Recommender::load_file("/nonexistent.tflite"), Error);
}

}  // namespace
}  // namespace pocketrec
