#include <algorithm>
#include <cmath>
#include <thread>

#include <hwy/cache_control.h>

#include "core/error.hpp"
#include "runtime/recommender_impl.hpp"
#include "tflite/interpreter.hpp"
#include "tflite/ops/vector_math.hpp"

namespace pocketrec {

namespace {

// Requests the cache lines of a list (its first 16 KB at most).
void prefetch(std::span<const uint32_t> items) {
  constexpr size_t kLine = 64 / sizeof(uint32_t), kMaxLines = 256;
  const size_t lines = std::min(kMaxLines, (items.size() + kLine - 1) / kLine);
  for (size_t i = 0; i < lines; ++i) hwy::Prefetch(items.data() + i * kLine);
}

}  // namespace

struct Session::Impl {
  std::shared_ptr<const Recommender> owner;
  const Recommender::Impl& d;
  tfl::Interpreter interp;
  runtime::TopK top;
  runtime::TopKScratch scratch;
  std::vector<uint8_t> skip;  // per item, graph path only; cleared after every query
  // The table's bias with -inf at skipped items (fast path); restored after every query.
  runtime::LargeVector<float> masked_bias;
  std::vector<uint32_t> marked;
  std::vector<runtime::Scored> scored;
  std::vector<float> row;
  std::vector<float> probabilities;  // the k scores through the sigmoid (sigmoid_scores models)
  std::vector<int32_t> fused_ids;    // the fused encoder's input and buffers
  std::vector<float> fused_user, fused_scratch;

  explicit Impl(std::shared_ptr<const Recommender> model)
      : owner(std::move(model)),
        d(RecommenderAccess::impl(*owner)),
        interp(d.model, d.summary.fast_path ? d.user_tensor : -1) {
    if (!d.summary.fast_path) {  // a byte and a list slot per item: 5 MB at a million items
      skip.assign(d.items.size(), 0);
      marked.reserve(d.items.size());
    }
    if (d.fused) {
      fused_ids.resize(d.fused->length());
      fused_user.resize(d.fused->dim());
      fused_scratch.resize(d.fused->scratch_floats());
    }
    if (d.summary.fast_path) {
      masked_bias = d.table.padded_bias();
      scratch = d.table.make_scratch();
    }
    row.resize(std::max(d.summary.dim, 1));
  }

  void check(uint32_t item) const {
    if (item >= d.items.size()) {
      throw Error("item index " + std::to_string(item) + " is out of range (the model has " +
                  std::to_string(d.items.size()) + " items)");
    }
  }

  // Lays out the newest L items of the history as the graph expects and runs it (in the fast path
  // the interpreter only holds the operators up to the user vector, or the fused encoder stands
  // in for it); returns the user vector (fast path).
  const float* run_graph(std::span<const uint32_t> history) {
    const size_t length = static_cast<size_t>(d.summary.context_length);
    const size_t n = std::min(history.size(), length);
    int32_t* input = d.fused ? fused_ids.data() : interp.input(0).as<int32_t>();
    std::fill(input, input + length, 0);
    const size_t offset = d.newest_last ? length - n : 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t item = history[history.size() - n + i];
      check(item);
      input[offset + i] = d.graph_id(item);
    }
    if (d.fused) {
      d.fused->encode(input, fused_user.data(), fused_scratch.data());
      return fused_user.data();
    }
    interp.reset_variables();
    interp.invoke();
    return d.summary.fast_path ? interp.tensor(d.user_tensor).as<float>() : nullptr;
  }

  // Fast path: -inf in the session's copy of the bias marks an item that must not come back (the
  // table's biases are finite, checked at load). Unmasking walks the query's lists again, so no
  // flags or list of marked items are kept (with them, excluding an ml-1m history of 163 items on
  // average took about 0.3 us of a 3.4 us starter query). For a whole list the sizes and pointers
  // are read once, where the stores through them would make the compiler reload them per item.
  void mask_all(std::span<const uint32_t> items) {
    const size_t count = d.items.size();
    float* bias = masked_bias.data();
    for (uint32_t item : items) {
      if (item >= count) check(item);
      bias[item] = -INFINITY;
    }
  }
  // Also after an exception part-way through a list: restoring an item never masked is harmless.
  void unmask_all(std::span<const uint32_t> items) {
    const size_t count = d.items.size();
    float* bias = masked_bias.data();
    const float* table_bias = d.table.padded_bias().data();
    for (uint32_t item : items) {
      if (item < count) bias[item] = table_bias[item];
    }
  }
  // Graph path: marks items as not to be returned.
  void mark_all(std::span<const uint32_t> items) {
    const size_t count = d.items.size();
    uint8_t* flags = skip.data();
    for (uint32_t item : items) {
      if (item >= count) check(item);
      if (flags[item]) continue;
      flags[item] = 1;
      marked.push_back(item);
    }
  }
  void clear_marks() {
    uint8_t* flags = skip.data();
    for (uint32_t item : marked) flags[item] = 0;
    marked.clear();
  }
};

Session::Session(std::shared_ptr<const Recommender> model)
    : impl_(std::make_unique<Impl>(std::move(model))) {}
Session::~Session() = default;

std::span<const float> Session::encode(std::span<const uint32_t> history) {
  Impl& s = *impl_;
  if (!s.d.summary.fast_path) throw Error("encode needs a model with the dual-encoder fast path");
  return {s.run_graph(history), static_cast<size_t>(s.d.summary.dim)};
}

void Session::score_all(std::span<const uint32_t> history, std::span<float> out) {
  Impl& s = *impl_;
  if (!s.d.summary.fast_path)
    throw Error("score_all needs a model with the dual-encoder fast path");
  if (out.size() < s.d.items.size())
    throw Error("score_all: the output is shorter than the catalog");
  s.d.table.score_all(s.run_graph(history), out.data());
}

SessionStats Session::stats() const {
  const runtime::TopKScratch& s = impl_->scratch;
  return {s.prefiltered_queries, s.prefilter_exact_rows, s.two_part_queries,
          s.full_queries,        s.coarse_queries,       s.coarse_exact_rows};
}

void Session::recommend(const Query& query, std::vector<Result>& out) {
  Impl& s = *impl_;
  const auto& d = s.d;
  out.clear();
  if (query.k <= 0) return;
  if (d.summary.fast_path) {
    // Filters through the session's copy of the bias alone; the query's own lists undo them.
    struct Unmask {
      Impl& s;
      const Query& q;
      ~Unmask() {
        s.unmask_all(q.blocked);
        if (q.exclude_history) s.unmask_all(q.history);
        s.unmask_all(q.allowed);
      }
    } unmask_on_exit{s, query};
    // The lists are masked after the encoder has run, and their lines are requested before it:
    // a history (163 items on average in ml-1m) is often not in cache, and its misses then
    // overlap the encoder's arithmetic instead of stalling the masking.
    prefetch(query.blocked);
    if (query.exclude_history) prefetch(query.history);
    const float* user = s.run_graph(query.history);
    s.mask_all(query.blocked);
    if (query.exclude_history) s.mask_all(query.history);
    s.top.reserve(static_cast<size_t>(query.k));
    s.top.reset(static_cast<size_t>(query.k));
    if (query.allowed.empty()) {
      d.table.top_k_masked(user, s.masked_bias.data(), s.top, &s.scratch);
    } else {
      for (uint32_t item : query.allowed) {
        s.check(item);
        // Filtered, or listed twice: an item must not come back twice.
        if (s.masked_bias[item] == -INFINITY) continue;
        s.top.push(item, d.table.score(user, item));
        s.masked_bias[item] = -INFINITY;
      }
    }
    s.top.take_sorted(s.scored);
    for (const auto& r : s.scored) out.push_back({r.item, r.score});
    if (d.summary.sigmoid_scores) {
      // The graph's LOGISTIC, with the same vector sigmoid, on the k scores at once.
      s.probabilities.resize(out.size());
      for (size_t i = 0; i < out.size(); ++i) s.probabilities[i] = out[i].score;
      tfl::sigmoid_array(s.probabilities.data(), s.probabilities.data(), out.size());
      for (size_t i = 0; i < out.size(); ++i) out[i].score = s.probabilities[i];
    }
    return;
  }
  // Graph path: the model's own top-K, filtered through per-item flags.
  struct Clear {
    Impl& s;
    ~Clear() { s.clear_marks(); }
  } clear_on_exit{s};
  s.mark_all(query.blocked);
  if (query.exclude_history) s.mark_all(query.history);
  s.run_graph(query.history);
  if (!query.allowed.empty()) {
    // Allowed items are marked 2 (allowed, not blocked); everything else is skipped below.
    for (uint32_t item : query.allowed) {
      s.check(item);
      if (!s.skip[item]) {
        s.skip[item] = 2;
        s.marked.push_back(item);
      }
    }
  }
  const auto& ids = s.interp.output(d.ids_output);
  const float* scores = s.interp.output(d.scores_output).as<float>();
  for (int64_t i = 0; i < ids.elements() && static_cast<int>(out.size()) < query.k; ++i) {
    const int32_t graph_id = ids.as<int32_t>()[i];
    auto it = std::lower_bound(d.item_of_graph_id.begin(), d.item_of_graph_id.end(),
                               std::pair<int32_t, uint32_t>(graph_id, 0));
    if (it == d.item_of_graph_id.end() || it->first != graph_id) continue;  // not an item
    uint8_t flag = s.skip[it->second];
    if (flag == 1 || (!query.allowed.empty() && flag != 2)) continue;
    out.push_back({it->second, scores[i]});
    s.skip[it->second] = 1;  // never twice
    s.marked.push_back(it->second);
  }
}

void Session::similar(uint32_t item, int k, std::vector<Result>& out) {
  Impl& s = *impl_;
  const auto& d = s.d;
  out.clear();
  if (!d.summary.fast_path)
    throw Error("similar items need a model with the dual-encoder fast path");
  s.check(item);
  if (k <= 0) return;
  d.table.row(item, s.row.data());
  s.top.reserve(static_cast<size_t>(k));
  s.top.reset(static_cast<size_t>(k));
  for (uint32_t j = 0; j < d.items.size(); ++j) {
    if (j == item) continue;
    float dot = d.table.score(s.row.data(), j) - d.table.bias(j);
    s.top.push(j, dot * d.inv_norm[item] * d.inv_norm[j]);
  }
  s.top.take_sorted(s.scored);
  for (const auto& r : s.scored) out.push_back({r.item, r.score});
}

void Session::similarities(uint32_t item, std::span<const uint32_t> others, std::span<float> out) {
  Impl& s = *impl_;
  const auto& d = s.d;
  if (!d.summary.fast_path)
    throw Error("similar items need a model with the dual-encoder fast path");
  if (out.size() < others.size()) throw Error("similarities: the output is shorter than the items");
  s.check(item);
  for (uint32_t j : others) s.check(j);
  d.table.row(item, s.row.data());
  for (size_t i = 0; i < others.size(); ++i) {
    const uint32_t j = others[i];
    const float dot = d.table.score(s.row.data(), j) - d.table.bias(j);
    out[i] = dot * d.inv_norm[item] * d.inv_norm[j];
  }
}

void recommend_batch(const std::shared_ptr<const Recommender>& model,
                     std::span<const std::vector<uint32_t>> histories, const Query& options,
                     int threads, std::vector<std::vector<Result>>& out) {
  out.resize(histories.size());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(histories.size())));
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](int t) {
    try {
      Session session(model);
      for (size_t i = t; i < histories.size(); i += threads) {
        Query q = options;
        q.history = histories[i];
        session.recommend(q, out[i]);
      }
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace pocketrec
