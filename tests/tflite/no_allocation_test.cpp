// invoke() must not allocate: the arena is planned once at load. Counted with a replacement
// operator new that only counts while a test asks it to.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

#include "export/export_fixture.hpp"
#include "pocketrec/recommender.hpp"
#include "test_util.hpp"
#include "tflite/interpreter.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
std::atomic<long> allocated_bytes{0};
}  // namespace

// The replacement pair is malloc/free on both sides; GCC's mismatch check sees only the free of a
// pointer that came from "operator new" and cannot know that operator is this one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1);
    allocated_bytes.fetch_add(static_cast<long>(size));
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace pocketrec {
namespace {

TEST(Interpreter, InvokeNeverAllocates) {
  for (const auto& c : testing::export_cases()) {
    SCOPED_TRACE(c.name);
    Catalog catalog = testing::make_catalog(c.config.items, true);
    DualEncoder model = testing::make_model(c.config, 4);
    ExportResult result = export_tflite(model, catalog, {});
    tfl::Interpreter interp(tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), "m"));
    const size_t arena = interp.arena_bytes();
    int32_t* input = interp.input(0).as<int32_t>();
    allocations = 0;
    counting = true;
    for (int q = 0; q < 50; ++q) {
      for (int t = 0; t < c.config.context_length; ++t)
        input[t] = (q + t) % 3 ? 2 * ((q * 7 + t) % 40) + 3 : 0;
      interp.reset_variables();
      interp.invoke();
    }
    counting = false;
    EXPECT_EQ(allocations.load(), 0);
    EXPECT_EQ(interp.arena_bytes(), arena);
  }
}

TEST(Interpreter, InvokeNeverAllocatesOnTheStarterModels) {
  const auto dir = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared reference models absent, skipping";
  for (const char* file : {"model_history10_top100.tflite", "recommendation_cnn_i10o100.tflite",
                           "recommendation_rnn_i10o100.tflite"}) {
    SCOPED_TRACE(file);
    tfl::Interpreter interp(tfl::Model::load_file((dir / file).string()));
    int32_t* input = interp.input(0).as<int32_t>();
    const int64_t length = interp.input(0).elements();
    allocations = 0;
    counting = true;
    for (int q = 0; q < 50; ++q) {
      for (int64_t t = 0; t < length; ++t) input[t] = static_cast<int32_t>((q * 31 + t * 7) % 3000);
      interp.reset_variables();
      interp.invoke();
    }
    counting = false;
    EXPECT_EQ(allocations.load(), 0);
  }
}

// A fast-path session holds the masked bias and the top-K's scratch, no per-item flags (the
// graph path's), and its queries, with every filter, allocate nothing once warm.
TEST(Session, FastPathHoldsNoPerItemFlagsAndQueriesNeverAllocate) {
  constexpr int kItems = 20000;
  ModelConfig config;
  config.items = kItems;
  config.embedding_dim = 8;
  config.output_dim = 8;
  config.context_length = 5;
  DualEncoder model(config);
  model.initialize(3);
  ExportResult exported = export_tflite(model, testing::make_catalog(kItems, true), {});
  auto rec = Recommender::load_buffer(exported.bytes.data(), exported.bytes.size(), "m");
  ASSERT_TRUE(rec->summary().fast_path);
  allocated_bytes = 0;
  counting = true;
  auto session = std::make_unique<Session>(rec);
  counting = false;
  // Per item: the masked bias (4 bytes), the scores (4) and candidates (8) of the top-K's scratch,
  // and a few bytes of chunk and prefilter state; the graph path's flags and list would add 5.
  EXPECT_LT(allocated_bytes.load(), 18L * kItems);
  EXPECT_GT(allocated_bytes.load(), 15L * kItems);

  std::vector<uint32_t> history = {5, 17, 4000, 19999, 12};
  std::vector<uint32_t> blocked = {1, 2, 3}, allowed = {7, 8, 9, 10, 11, 12, 4000};
  std::vector<Result> out;
  auto run = [&](int q) {
    Query query;
    query.k = 1 + q % 12;
    history[0] = static_cast<uint32_t>(q * 37 % kItems);
    query.history = history;
    query.blocked = blocked;
    if (q % 3 == 0) query.allowed = allowed;
    session->recommend(query, out);
    session->similar(history[0], 5, out);
  };
  for (int q = 0; q < 20; ++q) run(q);  // warm: the result vector has grown
  allocations = 0;
  counting = true;
  for (int q = 0; q < 50; ++q) run(q);
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
}

// Allocations made by 50 queries of `rec` once warm (one query first, so the result vector has
// grown), each with a different history of `length` items below `items`.
long allocations_per_50_queries(const std::shared_ptr<const Recommender>& rec, size_t length,
                                uint32_t items) {
  Session session(rec);
  std::vector<uint32_t> history(length);
  for (size_t i = 0; i < length; ++i) history[i] = static_cast<uint32_t>((i * 131 + 5) % items);
  std::vector<Result> out;
  Query query;
  query.history = history;
  session.recommend(query, out);
  allocations = 0;
  counting = true;
  for (int q = 0; q < 50; ++q) {
    history[q % length] = static_cast<uint32_t>(q * 37 % items);
    session.recommend(query, out);
  }
  counting = false;
  return allocations.load();
}

// The starter models through sessions (fast path, fused BOW and LSTM encoders, the CNN through
// the interpreter): no allocation per query once warm.
TEST(Session, StarterModelQueriesNeverAllocate) {
  const auto dir = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared reference models absent, skipping";
  for (const char* file : {"model_history10_top100.tflite", "recommendation_cnn_i10o100.tflite",
                           "recommendation_rnn_i10o100.tflite"}) {
    SCOPED_TRACE(file);
    EXPECT_EQ(allocations_per_50_queries(Recommender::load_file((dir / file).string()), 11, 3952),
              0);
  }
}

// The fused recurrent encoders keep their state in the session's scratch.
TEST(Session, FusedRecurrentAndAttentionEncodersNeverAllocate) {
  for (const char* encoder : {"lstm", "gru", "attention"}) {
    SCOPED_TRACE(encoder);
    ModelConfig config;
    config.encoder = parse_encoder(encoder);
    config.items = 300;
    config.embedding_dim = 8;
    config.rnn_units = 12;
    config.output_dim = 8;
    config.context_length = 6;
    DualEncoder model(config);
    model.initialize(5);
    ExportResult exported = export_tflite(model, testing::make_catalog(300, true), {});
    auto rec = Recommender::load_buffer(exported.bytes.data(), exported.bytes.size(), "m");
    ASSERT_TRUE(rec->summary().fused_encoder);
    EXPECT_EQ(rec->summary().fused_encoder_name, encoder == std::string("attention")
                                                     ? "attention"
                                                     : (encoder[0] == 'l' ? "LSTM" : "GRU"));
    EXPECT_EQ(allocations_per_50_queries(rec, 7, 300), 0);
  }
}

}  // namespace
}  // namespace pocketrec
