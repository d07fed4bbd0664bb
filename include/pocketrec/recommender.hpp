#pragma once
// pocketrec's runtime, the part apps embed: load a .tflite recommendation model once (an immutable
// Recommender, shared by all threads), then answer top-K queries from one Session per thread.
// Depends on the C++ standard library only (FlatBuffers and Highway are internal).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pocketrec/error.hpp"  // pocketrec::Error, what every call here throws; POCKETREC_API

namespace pocketrec {

namespace tfl {
class Model;
}

struct Item {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  uint32_t count = 0;
};

struct ModelSummary {
  std::string encoder;  // bow | cnn | gru | lstm, or "unknown" for foreign models
  std::string layout;   // newest-last | oldest-first
  int context_length = 0;
  int dim = 0;             // user vector width (0 without the fast path)
  bool quantized = false;  // int8 label table
  bool fast_path = false;  // SIMD scoring with filters; otherwise the graph's own top-K
  // The fast path's exact filter: 8-bit codes for float32 tables up to 65,536 rows, 4-bit codes
  // streamed for int8 tables of 8 MB and more.
  bool prefilter = false;
  // The encoder evaluated directly instead of by the interpreter (every pocketrec export, the
  // reference's BOW, LSTM and CNN models), and which one: "BOW", "CNN", "LSTM", "GRU",
  // "attention".
  bool fused_encoder = false;
  std::string fused_encoder_name;
  bool sigmoid_scores = false;
  int graph_top_k = 0;
  size_t items = 0;
  size_t file_bytes = 0;
  size_t table_bytes = 0;   // the fast path's scoring table, filters included
  size_t filter_bytes = 0;  // of which the exact filters' codes
};

struct ModelLoadOptions {
  // Supplies or replaces the catalog (e.g. the Android sample's sorted_movie_vocab.json for the
  // reference's starter models, which carry none).
  std::optional<std::vector<Item>> catalog;
  // float32 tables up to 65,536 rows get the exact 8-bit prefilter (same results, about twice the
  // table's memory), int8 tables of 8 MB and more the exact 4-bit filter (same results, 19 more
  // bytes per row at 32 dimensions); false scores every row of every query instead.
  bool prefilter = true;
  // Known encoder graphs are evaluated directly (same results, checked bit for bit at load);
  // false runs every encoder through the interpreter.
  bool fused_encoders = true;
};

struct Query {
  std::span<const uint32_t> history;  // item indices (0-based, see Recommender::find), oldest first
  int k = 10;
  bool exclude_history = true;
  std::span<const uint32_t> allowed;  // empty: every item
  std::span<const uint32_t> blocked;
};

struct Result {
  uint32_t item;
  float score;
};

// What a session's queries did, for benchmarks and diagnostics.
struct SessionStats {
  size_t prefiltered_queries = 0;   // answered through the exact 8-bit prefilter
  size_t prefilter_exact_rows = 0;  // rows it scored exactly, over those queries
  size_t two_part_queries = 0;      // of those, with the user quantized in two parts
  size_t full_queries = 0;          // that scored every row
  size_t coarse_queries = 0;        // answered through the exact 4-bit filter (large int8 tables)
  size_t coarse_exact_rows = 0;     // rows it scored exactly, over those queries
};

class Session;

class POCKETREC_API Recommender : public std::enable_shared_from_this<Recommender> {
 public:
  // Throws pocketrec::Error naming the file on any problem.
  static std::shared_ptr<const Recommender> load_file(const std::string& path,
                                                      ModelLoadOptions options = {});
  static std::shared_ptr<const Recommender> load_buffer(const void* data, size_t size,
                                                        const std::string& origin,
                                                        ModelLoadOptions options = {});
  ~Recommender();
  Recommender(const Recommender&) = delete;
  Recommender& operator=(const Recommender&) = delete;

  size_t item_count() const;
  // The item's record, built on each call: the catalog is held compactly (about 23 bytes an
  // item plus its text), not as Item values.
  Item item(uint32_t index) const;
  // Its id alone, without building the record; valid as long as the Recommender, and followed
  // by a NUL byte (data() is a C string).
  std::string_view item_id(uint32_t index) const;
  std::optional<uint32_t> find(std::string_view id) const;
  const ModelSummary& summary() const;
  std::unique_ptr<Session> new_session() const;

  struct Impl;

 private:
  friend struct RecommenderAccess;  // the runtime's own code and its tests
  Recommender();
  static std::shared_ptr<const Recommender> from_model(std::shared_ptr<const tfl::Model> model,
                                                       ModelLoadOptions options);
  std::unique_ptr<Impl> impl_;
};

// Scratch space and an interpreter for one thread; queries reuse it and do not allocate once
// `out` has grown to k.
class POCKETREC_API Session {
 public:
  explicit Session(std::shared_ptr<const Recommender> model);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Best first. Items in `blocked` (and the history, unless kept) never appear; with `allowed`,
  // only those items can.
  void recommend(const Query& query, std::vector<Result>& out);
  // Items whose label vectors are closest (cosine) to `item`'s, the item itself excluded.
  void similar(uint32_t item, int k, std::vector<Result>& out);
  // The same cosine between `item` and each of `others` (out[i] for others[i]): what explains a
  // recommendation by the history items closest to it.
  void similarities(uint32_t item, std::span<const uint32_t> others, std::span<float> out);
  // The user vector of a history (fast path only): what the scores are dot products with.
  std::span<const float> encode(std::span<const uint32_t> history);
  // Every item's score for a history (out[i] for item index i, history items included, no
  // filter): what full-ranking evaluation needs. Fast path only, like encode().
  void score_all(std::span<const uint32_t> history, std::span<float> out);
  SessionStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Top-K for many histories on `threads` threads (one session each); out[i] answers histories[i].
POCKETREC_API void recommend_batch(const std::shared_ptr<const Recommender>& model,
                                   std::span<const std::vector<uint32_t>> histories,
                                   const Query& options, int threads,
                                   std::vector<std::vector<Result>>& out);

}  // namespace pocketrec
