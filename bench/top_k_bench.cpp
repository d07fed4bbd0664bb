// Micro-benchmarks of the filtered top-K over a label table (no encoder, no history marking), so
// the kernels of `bench` can be compared in isolation: float32 tables with and without the 8-bit
// prefilter, and int8 tables, at the starter (D = 16) and issue (D = 32) shapes of 3,953 items.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/score_table.hpp"

namespace pocketrec::runtime {
namespace {

constexpr int kRows = 3953;

struct Fixture {
  ScoreTable table;
  std::vector<std::vector<float>> users;
  std::vector<float> bias;
};

// Rows with a popularity-like bias and uneven norms, as trained tables have.
Fixture make_fixture(int dim, bool int8, bool prefilter) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> rows(static_cast<size_t>(kRows) * dim), bias(kRows);
  for (int r = 0; r < kRows; ++r) {
    const float norm = 0.5f + static_cast<float>(rng() % 100) / 100.0f;
    for (int k = 0; k < dim; ++k) rows[static_cast<size_t>(r) * dim + k] = norm * normal(rng);
    bias[r] = 0.5f * normal(rng);
  }
  Fixture f;
  if (int8) {
    std::vector<int8_t> q(rows.size());
    std::vector<float> scales(kRows);
    for (int r = 0; r < kRows; ++r) {
      float m = 0;
      for (int k = 0; k < dim; ++k) m = std::max(m, std::fabs(rows[r * dim + k]));
      scales[r] = m / 127.0f;
      for (int k = 0; k < dim; ++k)
        q[r * dim + k] = static_cast<int8_t>(std::lround(rows[r * dim + k] / scales[r]));
    }
    f.table = ScoreTable::from_int8(q, scales, kRows, dim, bias, "bench");
  } else {
    f.table = ScoreTable::from_float(rows, kRows, dim, bias, "bench");
  }
  if (!prefilter) f.table.disable_prefilter();
  for (int i = 0; i < 64; ++i) {
    std::vector<float> user(dim);
    for (float& v : user) v = normal(rng);
    f.users.push_back(std::move(user));
  }
  f.bias.assign(f.table.padded_bias().begin(), f.table.padded_bias().end());
  return f;
}

// Top-10 queries over the users in turn, timed; returns the session scratch with its counts.
TopKScratch run_queries(benchmark::State& state, const ScoreTable& table,
                        const std::vector<std::vector<float>>& users, const float* bias) {
  TopKScratch scratch = table.make_scratch();
  TopK top;
  top.reserve(10);
  std::vector<Scored> out;
  size_t i = 0;
  for (auto _ : state) {
    top.reset(10);
    table.top_k_masked(users[i++ % users.size()].data(), bias, top, &scratch);
    top.take_sorted(out);
    benchmark::DoNotOptimize(out.data());
  }
  return scratch;
}

void BM_TopK(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const bool int8 = state.range(1) != 0, prefilter = state.range(2) != 0;
  Fixture f = make_fixture(dim, int8, prefilter);
  const TopKScratch scratch = run_queries(state, f.table, f.users, f.bias.data());
  if (scratch.prefiltered_queries > 0) {
    state.counters["exact_rows"] = static_cast<double>(scratch.prefilter_exact_rows) /
                                   static_cast<double>(scratch.prefiltered_queries);
  }
  state.SetLabel(std::string(int8 ? "int8" : "float32") + (prefilter ? " prefilter" : " exact"));
}
// {dim, int8, prefilter}; int8 tables get the prefilter only with VNNI (ScoreTable::from_int8).
BENCHMARK(BM_TopK)
    ->Args({16, 0, 0})
    ->Args({16, 0, 1})
    ->Args({32, 0, 0})
    ->Args({32, 0, 1})
    ->Args({16, 1, 0})
    ->Args({16, 1, 1})
    ->Args({32, 1, 0})
    ->Args({32, 1, 1});

// The large shape: 1,000,000 x 32 int8 Gaussian rows (as a freshly initialized model has),
// every row scored against streaming the 4-bit filter; and the first 131,072 rows, whose filter
// (2.4 MB) stays in cache, so the pass's arithmetic shows without the memory's; and 262,144 and
// 524,288 rows, around the size where the filter starts to pay (ScoreTable: 8 MB).
void BM_TopKLarge(benchmark::State& state) {
  constexpr int kMillion = 1000000, kDim = 32;
  const int rows = static_cast<int>(state.range(0));
  const bool filter = state.range(1) != 0;
  static const std::vector<int8_t> codes = [] {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 32.0f);
    std::vector<int8_t> q(static_cast<size_t>(kMillion) * kDim);
    for (int8_t& v : q) v = static_cast<int8_t>(std::clamp(std::lround(normal(rng)), -127L, 127L));
    return q;
  }();
  ScoreTable table = ScoreTable::from_int8(std::span(codes).first(static_cast<size_t>(rows) * kDim),
                                           std::vector<float>(1, 0.01f), rows, kDim, {}, "bench");
  if (!filter) table.disable_prefilter();
  if (filter && !table.has_prefilter()) table.force_coarse_filter();  // below 8 MB: not by default
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> users(64, std::vector<float>(kDim));
  for (auto& user : users) {
    for (float& v : user) v = normal(rng);
  }
  const TopKScratch scratch = run_queries(state, table, users, table.padded_bias().data());
  state.counters["exact_rows"] = benchmark::Counter(static_cast<double>(scratch.coarse_exact_rows) /
                                                    std::max<long>(1, scratch.coarse_queries));
  state.SetLabel(filter ? "int8 4-bit filter" : "int8 every row");
}
// {rows, filter}
BENCHMARK(BM_TopKLarge)
    ->Args({1000000, 1})
    ->Args({1000000, 0})
    ->Args({131072, 1})
    ->Args({131072, 0})
    ->Args({262144, 1})
    ->Args({262144, 0})
    ->Args({524288, 1})
    ->Args({524288, 0})
    ->Unit(benchmark::kMicrosecond);

// The floor under the 1,000,000 x 32 int8 table: reading its 32 MB once on one thread; and the
// smaller reads that show where this machine's caches end (the 4-bit filter streams 18 MB).
void BM_Read(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) << 20;
  std::vector<uint64_t> data(bytes / sizeof(uint64_t));
  for (size_t i = 0; i < data.size(); ++i) data[i] = i;
  for (auto _ : state) {
    uint64_t acc[4] = {};
    for (size_t i = 0; i < data.size(); i += 4) {
      for (int j = 0; j < 4; ++j) acc[j] ^= data[i + j];
    }
    benchmark::DoNotOptimize(acc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetLabel("MiB");
}
BENCHMARK(BM_Read)->Arg(4)->Arg(8)->Arg(16)->Arg(24)->Arg(32)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pocketrec::runtime

BENCHMARK_MAIN();
