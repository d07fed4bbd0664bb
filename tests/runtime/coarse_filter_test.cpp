// The 4-bit filter of large int8 tables: its top-K must equal the int8 kernel's over every row,
// items and score bits, on random and adversarial tables, on every compiled instruction set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/coarse_filter.hpp"
#include "runtime/every_target.hpp"
#include "runtime/score_table.hpp"

namespace pocketrec::runtime {
namespace {

std::vector<Scored> streaming_top_k(const ScoreTable& t, const std::vector<float>& user,
                                    std::span<const uint8_t> skip, size_t k) {
  std::vector<Scored> out;
  TopK top;
  top.reset(k);
  t.top_k(user.data(), skip, top);
  top.take_sorted(out);
  return out;
}

// The filtered table against the same table scoring every row.
void expect_same_as_every_row(const ScoreTable& filtered, const std::vector<float>& user,
                              std::span<const uint8_t> skip, size_t k) {
  ScoreTable every_row = filtered;
  every_row.disable_prefilter();
  const auto want = streaming_top_k(every_row, user, skip, k);
  const auto got = streaming_top_k(filtered, user, skip, k);
  ASSERT_EQ(got.size(), want.size()) << "k " << k;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].item, want[i].item) << "k " << k << " rank " << i;
    EXPECT_EQ(got[i].score, want[i].score) << "k " << k << " rank " << i;
  }
}

struct Int8Table {
  std::vector<int8_t> codes;
  std::vector<float> scales, bias;
};

// Row scales over nine octaves and a 1e-6 outlier, biases that dwarf the dot products on every
// fifth row, duplicated rows (exact ties, settled by index), codes at -128 and 127, zero rows.
Int8Table adversarial_table(int rows, int dim, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  Int8Table t;
  t.codes.resize(static_cast<size_t>(rows) * dim);
  t.scales.resize(rows);
  t.bias.resize(rows);
  for (size_t i = 0; i < t.codes.size(); ++i) {
    t.codes[i] = static_cast<int8_t>(i % 3 == 0 ? -128 : static_cast<int>(rng() % 256) - 128);
  }
  for (int r = 0; r < rows; ++r) {
    t.scales[r] = r % 11 == 0 ? 1e-6f : std::pow(2.0f, static_cast<float>(r % 9) - 6.0f);
    t.bias[r] = r % 5 == 0 ? 1e4f * normal(rng) : 0.01f * normal(rng);
  }
  for (int r = 100; r < 140; ++r) {
    std::copy_n(t.codes.begin() + 99 * dim, dim, t.codes.begin() + static_cast<size_t>(r) * dim);
    t.scales[r] = t.scales[99];
    t.bias[r] = t.bias[99];
  }
  for (int r = 200; r < 210; ++r) {
    std::fill_n(t.codes.begin() + static_cast<size_t>(r) * dim, dim, int8_t{0});
  }
  return t;
}

// Zero, one-hot, huge, tiny and ordinary user vectors, with and without a skip list, k from 1
// to beyond the table.
void expect_exact_on_adversarial_tables() {
  std::mt19937 rng(29);
  std::normal_distribution<float> normal;
  const int rows = 1500;
  for (int dim : {3, 16, 32, 37, 72}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const Int8Table t = adversarial_table(rows, dim, rng);
    // Biases that vary, none, and one constant bias (the pass then skips the bias bytes).
    const std::vector<float> constant_bias(rows, 3.5f);
    for (const auto* bias :
         {&t.bias, static_cast<const std::vector<float>*>(nullptr), &constant_bias}) {
      auto table = ScoreTable::from_int8(
          t.codes, t.scales, rows, dim,
          bias != nullptr ? std::span<const float>(*bias) : std::span<const float>(), "t");
      table.force_coarse_filter();
      ASSERT_TRUE(table.has_prefilter());
      std::vector<std::vector<float>> users(5, std::vector<float>(dim, 0.0f));
      users[1][dim / 2] = 1.0f;
      for (float& v : users[2]) v = 1e6f * normal(rng);
      for (float& v : users[3]) v = 1e-20f * normal(rng);
      for (float& v : users[4]) v = normal(rng);
      std::vector<uint8_t> skip(rows, 0);
      for (int r = 0; r < rows; r += 7) skip[r] = 1;
      for (const auto& user : users) {
        for (size_t k : {size_t{1}, size_t{10}, size_t{50}, size_t{rows + 5}}) {
          expect_same_as_every_row(table, user, skip, k);
          expect_same_as_every_row(table, user, {}, k);
        }
      }
    }
  }
}

TEST(CoarseFilter, ExactOnAdversarialTables) {
  expect_exact_on_adversarial_tables();
}

TEST(CoarseFilter, ExactOnEveryCompiledTarget) {
  // AVX2's byte multiply-add, or a portable loop: each target this machine runs must agree.
  on_every_compiled_target(expect_exact_on_adversarial_tables);
}

TEST(CoarseFilter, BoundHoldsWhereEveryRoundingErrorAddsUp) {
  // A winner whose values all sit just below a half step of the 4-bit code scale: each rounds
  // down by nearly half a step, against a user of all ones, so its approximate score falls short
  // of its exact score by nearly the whole error bound. A decoy one below it is scored exactly
  // first and sets the heap's threshold; only a bound that covers the full
  // error lets the winner through. (A bound whose codes' rounding term is 80% of the one derived
  // misses it, for either form of that term.)
  const int dim = 16, rows = 1000, winner = 640;
  // Small values elsewhere (scores far below the winner's), so the typical row's residual, which
  // picks the form of the bound per query, is an ordinary one.
  std::mt19937 rng(3);
  std::vector<int8_t> codes(static_cast<size_t>(rows) * dim);
  for (int8_t& c : codes) c = static_cast<int8_t>(static_cast<int>(rng() % 7) - 3);
  std::vector<float> scales(rows, 1.0f);
  // Row 1, filtered out by the skip list, gives the decoy's block the largest bound, so that
  // block is scored first (blocks are scored best first).
  std::fill_n(codes.begin() + dim, dim, int8_t{127});
  std::vector<uint8_t> skip(rows, 0);
  skip[1] = 1;
  std::fill_n(codes.begin() + winner * dim, dim, int8_t{0});
  codes[static_cast<size_t>(winner) * dim] = 100;  // sets the table's largest code scale
  const auto probe = CoarseFilter::from_int8(codes, scales, rows, dim, {});
  int index = 0;
  while (probe.scale_of(index) < 100.0 / 7) ++index;
  const float step = probe.scale_of(index);  // the winner's code scale
  const auto below_half_step = static_cast<int8_t>(std::floor(6.5 * step));
  ASSERT_LT(below_half_step, 100);
  ASSERT_GT(6.5 * step - below_half_step, 0.0);
  for (int k = 1; k < dim; ++k) codes[static_cast<size_t>(winner) * dim + k] = below_half_step;
  std::copy_n(codes.begin() + winner * dim, dim, codes.begin());
  codes[1] = static_cast<int8_t>(below_half_step - 1);  // the decoy, row 0
  auto table = ScoreTable::from_int8(codes, scales, rows, dim, {}, "t");
  table.force_coarse_filter();
  // All ones: the residual-norm bound of the codes' rounding is the tighter one. One-hot on a
  // dimension where the winner leads the decoy: the L1 bound is.
  std::vector<float> one_hot(dim, 0.0f);
  one_hot[1] = 1.0f;
  for (const auto& user : {std::vector<float>(dim, 1.0f), one_hot}) {
    const auto got = streaming_top_k(table, user, skip, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].item, static_cast<uint32_t>(winner));
    expect_same_as_every_row(table, user, skip, 1);
    expect_same_as_every_row(table, user, skip, 2);
  }
}

TEST(CoarseFilter, ServesLargeTablesAndScoresFewRowsExactly) {
  // From 8 MB an int8 table gets the filter by itself (where the 4-bit pass is vectorized); a
  // smaller one is scored row by row, which is faster while it stays in cache. On Gaussian rows
  // and users about 1% of these rows need their exact score (0.4% of a million).
  std::mt19937 rng(31);
  std::normal_distribution<float> normal;
  const int rows = 210000, dim = 32;
  std::vector<int8_t> codes(static_cast<size_t>(rows) * dim);
  for (int8_t& c : codes)
    c = static_cast<int8_t>(std::clamp(std::lround(40 * normal(rng)), -127L, 127L));
  std::vector<float> scales(rows), bias(rows);
  for (int r = 0; r < rows; ++r) {
    scales[r] = 0.01f * (1 + static_cast<float>(r % 13) / 13);
    bias[r] = 0.1f * normal(rng);
  }
  const int smaller = 200000;  // 200,000 x (32 + 8) bytes: below 8 MiB
  EXPECT_FALSE(ScoreTable::from_int8(std::span(codes).first(static_cast<size_t>(smaller) * dim),
                                     std::span(scales).first(smaller), smaller, dim,
                                     std::span(bias).first(smaller), "t")
                   .has_prefilter());
  auto table = ScoreTable::from_int8(codes, scales, rows, dim, bias, "t");
  if (!coarse_filter_vectorized()) {
    EXPECT_FALSE(table.has_prefilter());
    table.force_coarse_filter();
  }
  ASSERT_TRUE(table.has_prefilter());
  EXPECT_TRUE(table.make_scratch().scores.empty());
  std::vector<float> user(dim);
  std::vector<uint8_t> skip(rows, 0);
  for (int r = 0; r < rows; r += 3) skip[r] = 1;
  TopKScratch counts;
  for (int q = 0; q < 20; ++q) {
    for (float& v : user) v = normal(rng);
    expect_same_as_every_row(
        table, user, q % 2 ? std::span<const uint8_t>(skip) : std::span<const uint8_t>(), 10);
    TopK top;
    top.reset(10);
    table.top_k(user.data(), {}, top, &counts);
  }
  EXPECT_EQ(counts.coarse_queries, 20u);
  // Best first: 1.05% here. Scoring blocks in table order as the threshold rose took 6.4% on the
  // first 131,072 of a million Gaussian rows, against 2% best first.
  EXPECT_LT(counts.coarse_exact_rows, 20u * rows / 40) << "the 4-bit bound filters too little";
  EXPECT_GE(counts.coarse_exact_rows, 20u * 10);
}

TEST(CoarseFilter, StaysOutOfTheWayWhereItCannotHelp) {
  // Scales beyond the code scales' range: no filter, every row scored; float tables: none.
  const int rows = 40, dim = 4;
  std::vector<int8_t> codes(rows * dim, 100);
  std::vector<float> scales(rows, 1e35f);
  auto huge = ScoreTable::from_int8(codes, scales, rows, dim, {}, "t");
  std::vector<float> user(dim, 1e-30f);
  huge.disable_prefilter();  // the 8-bit one, which int8 tables this small get with VNNI
  huge.force_coarse_filter();
  EXPECT_FALSE(huge.has_prefilter());
  expect_same_as_every_row(huge, user, {}, 5);
  std::vector<float> values(rows * dim, 1.0f);
  auto f32 = ScoreTable::from_float(values, rows, dim, {}, "t");
  f32.disable_prefilter();
  f32.force_coarse_filter();
  EXPECT_FALSE(f32.has_prefilter());
}

}  // namespace
}  // namespace pocketrec::runtime
