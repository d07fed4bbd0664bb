// The filtered top-K of the scoring kernel against a brute-force sort, on random and adversarial
// score tables.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "runtime/every_target.hpp"
#include "runtime/rounding.hpp"
#include "runtime/score_table.hpp"

namespace pocketrec::runtime {
namespace {

std::vector<Scored> brute_force(const std::vector<float>& table, const std::vector<float>& bias,
                                const std::vector<float>& user, int rows, int dim,
                                const std::vector<uint8_t>& skip, size_t k) {
  std::vector<Scored> all;
  for (int r = 0; r < rows; ++r) {
    if (!skip.empty() && skip[r]) continue;
    float s = 0.0f;
    for (int d = 0; d < dim; ++d) s += table[r * dim + d] * user[d];
    all.push_back({static_cast<uint32_t>(r), s + (bias.empty() ? 0.0f : bias[r])});
  }
  std::sort(all.begin(), all.end(), TopK::better);
  if (all.size() > k) all.resize(k);
  return all;
}

void expect_same(const std::vector<Scored>& got, const std::vector<Scored>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4f * (1 + std::fabs(want[i].score))) << i;
    // Equal ids unless two scores are within rounding of each other.
    if (got[i].item != want[i].item) {
      EXPECT_NEAR(got[i].score, want[i].score, 1e-5f) << "rank " << i;
    }
  }
}

// The filtered top-K every way: streaming, two-pass (scores first, then the rows above a lower
// bound of the k-th best) and prefiltered (8-bit approximate scores, then exact scores of the rows
// that can still win, with the user in one part and in two); they must agree exactly, scores to
// the bit.
std::vector<Scored> top_k_both(const ScoreTable& t, const float* user,
                               std::span<const uint8_t> skip, size_t k) {
  std::vector<Scored> streaming, other;
  TopK top;
  top.reset(k);
  t.top_k(user, skip, top);
  top.take_sorted(streaming);
  ScoreTable exact_only = t;
  exact_only.disable_prefilter();
  for (int way_index = 0; way_index < 3; ++way_index) {
    const ScoreTable* table = way_index == 0 ? &exact_only : &t;
    auto scratch = table->make_scratch();
    EXPECT_FALSE(scratch.scores.empty());
    scratch.prefilter_parts_fixed = true;
    scratch.prefilter_two_parts = way_index == 2;
    // Twice: the two-pass walk alternates its direction over the table.
    for (int walk = 0; walk < 2; ++walk) {
      top.reset(k);
      table->top_k(user, skip, top, &scratch);
      top.take_sorted(other);
      const char* way = way_index == 0   ? "two-pass"
                        : way_index == 1 ? "prefiltered, one part"
                                         : "prefiltered, two parts";
      EXPECT_EQ(streaming.size(), other.size()) << way;
      for (size_t i = 0; i < std::min(streaming.size(), other.size()); ++i) {
        EXPECT_EQ(streaming[i].item, other[i].item) << way << " walk " << walk << " rank " << i;
        EXPECT_EQ(streaming[i].score, other[i].score) << way << " walk " << walk << " rank " << i;
      }
    }
  }
  return other;
}

TEST(TopKScoring, MatchesBruteForceOnRandomTables) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (int rows : {1, 15, 16, 17, 100, 1000, 3953, 5000}) {  // 5,000: more than 64 chunks
    for (int dim : {1, 7, 16, 32}) {
      std::vector<float> table(rows * dim), bias(rows), user(dim);
      for (float& v : table) v = normal(rng);
      for (float& v : bias) v = normal(rng);
      for (float& v : user) v = normal(rng);
      std::vector<uint8_t> skip(rows, 0);
      for (int r = 0; r < rows; r += 3) skip[r] = 1;
      auto t = ScoreTable::from_float(table, rows, dim, bias, "t");
      for (size_t k :
           {size_t{1}, size_t{10}, size_t{40}, size_t{100}, static_cast<size_t>(rows) + 5}) {
        std::vector<Scored> got = top_k_both(t, user.data(), skip, k);
        SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(dim) + " k=" + std::to_string(k));
        expect_same(got, brute_force(table, bias, user, rows, dim, skip, k));
      }
    }
  }
}

TEST(TopKScoring, TiesGoToTheLowerIndex) {
  const int rows = 50, dim = 2;
  std::vector<float> table(rows * dim, 1.0f), user{0.5f, 0.5f};
  auto t = ScoreTable::from_float(table, rows, dim, {}, "t");
  std::vector<Scored> got = top_k_both(t, user.data(), {}, 5);
  ASSERT_EQ(got.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(got[i].item, i);
}

TEST(TopKScoring, EverythingFilteredGivesNothing) {
  std::vector<float> table(10 * 4, 1.0f), user(4, 1.0f);
  auto t = ScoreTable::from_float(table, 10, 4, {}, "t");
  std::vector<uint8_t> skip(10, 1);
  std::vector<Scored> got = top_k_both(t, user.data(), skip, 3);
  EXPECT_TRUE(got.empty());
}

TEST(TopKScoring, TiesAcrossChunksAndInt8TablesAgreeBothWays) {
  // Every row equal: the two-pass bound equals every score, and the lowest indices must win.
  const int rows = 3953, dim = 8;
  std::vector<float> same(rows * dim, 0.25f), user(dim, 1.0f);
  auto flat = ScoreTable::from_float(same, rows, dim, {}, "t");
  auto got = top_k_both(flat, user.data(), {}, 10);
  ASSERT_EQ(got.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].item, i);
  // Random int8 rows with a few duplicated winners and a filtered third.
  std::mt19937 rng(9);
  std::vector<int8_t> q(rows * dim);
  std::vector<float> scales(rows), bias(rows);
  for (auto& v : q) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  for (int r = 0; r < rows; ++r) {
    scales[r] = 0.01f + 0.001f * static_cast<float>(rng() % 10);
    bias[r] = 0.1f * static_cast<float>(rng() % 7);
  }
  for (int r = 1000; r < 3900; r += 700) {
    std::copy_n(q.begin(), dim, q.begin() + r * dim);
    scales[r] = scales[0];
    bias[r] = bias[0];
  }
  std::vector<uint8_t> skip(rows, 0);
  for (int r = 2; r < rows; r += 3) skip[r] = 1;
  auto quantized = ScoreTable::from_int8(q, scales, rows, dim, bias, "t");
  for (size_t k : {size_t{1}, size_t{10}, size_t{100}, size_t{5000}}) {
    EXPECT_EQ(top_k_both(quantized, user.data(), skip, k).size(),
              std::min<size_t>(k, rows - (rows - 2 + 2) / 3));
  }
}

TEST(TopKScoring, PaddingRowsNeverRaiseTheBound) {
  // 100 rows: the last 64-row chunk is padded with 28 empty rows. Every real score is negative,
  // so an empty row scoring 0 must not count as the best of its chunk.
  const int rows = 100, dim = 4;
  std::vector<float> table(rows * dim, -1.0f), user(dim, 1.0f), bias(rows, -0.5f);
  for (int r = 0; r < rows; ++r) table[r * dim] = -1.0f - 0.01f * static_cast<float>(r % 7);
  auto t = ScoreTable::from_float(table, rows, dim, bias, "t");
  for (size_t k : {size_t{1}, size_t{2}, size_t{5}}) {
    auto got = top_k_both(t, user.data(), {}, k);
    expect_same(got, brute_force(table, bias, user, rows, dim, {}, k));
  }
  std::vector<int8_t> q(rows * dim, -100);
  std::vector<float> scales(rows, 0.01f);
  auto quantized = ScoreTable::from_int8(q, scales, rows, dim, {}, "t");
  EXPECT_EQ(top_k_both(quantized, user.data(), {}, 1).size(), 1u);
}

TEST(TopKScoring, NonFiniteTablesAreRejectedAtLoad) {
  std::vector<float> table(8, 1.0f);
  table[5] = std::nanf("");
  EXPECT_THROW(ScoreTable::from_float(table, 2, 4, {}, "t"), Error);
  table[5] = INFINITY;
  EXPECT_THROW(ScoreTable::from_float(table, 2, 4, {}, "t"), Error);
  std::vector<float> ok(8, 1.0f), bias{0.0f, -INFINITY};
  EXPECT_THROW(ScoreTable::from_float(ok, 2, 4, bias, "t"), Error);
}

TEST(TopKScoring, Int8RowsWithinTheirDocumentedError) {
  // Weight-only int8: |score - float score| <= 0.5 * scale_row * sum|user| (rounding of each
  // weight by at most half a step).
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  const int rows = 300, dim = 32;
  std::vector<float> table(rows * dim), user(dim);
  for (float& v : table) v = normal(rng);
  for (float& v : user) v = normal(rng);
  std::vector<int8_t> q(rows * dim);
  std::vector<float> scales(rows);
  for (int r = 0; r < rows; ++r) {
    float m = 0;
    for (int d = 0; d < dim; ++d) m = std::max(m, std::fabs(table[r * dim + d]));
    scales[r] = m / 127.0f;
    for (int d = 0; d < dim; ++d)
      q[r * dim + d] = static_cast<int8_t>(std::lround(table[r * dim + d] / scales[r]));
  }
  auto t8 = ScoreTable::from_int8(q, scales, rows, dim, {}, "t");
  float l1 = 0;
  for (float u : user) l1 += std::fabs(u);
  for (int r = 0; r < rows; ++r) {
    float exact = 0;
    for (int d = 0; d < dim; ++d) exact += table[r * dim + d] * user[d];
    EXPECT_LE(std::fabs(t8.score(user.data(), r) - exact), 0.5f * scales[r] * l1 + 1e-4f);
  }
  // The SIMD path quantizes the user vector to int16: within 0.5 * max|u| / 32767 * scale *
  // sum|q| of the scalar int8 score.
  std::vector<float> all(rows);
  t8.score_all(user.data(), all.data());
  float max_u = 0;
  for (float u : user) max_u = std::max(max_u, std::fabs(u));
  for (int r = 0; r < rows; ++r) {
    float q1 = 0;
    for (int d = 0; d < dim; ++d) q1 += std::abs(q[r * dim + d]);
    EXPECT_NEAR(all[r], t8.score(user.data(), r), 0.5f * max_u / 32767 * scales[r] * q1 + 1e-5f);
  }
}

// The int8 kernels' integer dot product against a scalar one, at the extremes of both operands
// (int8 -128 and 127, the user's int16 +-32767 at every dimension: |dot| up to 2^31 - 65,536).
// With scale 1, no bias and max|user| = 32767 (user scale 1), a row scores float(dot) exactly.
void expect_int8_scores_are_exact_integer_dots() {
  std::mt19937 rng(23);
  const int rows = 50;  // the last 16-row block is partly padding
  for (int dim : {1, 3, 4, 16, 32, 37, 512}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    std::vector<int8_t> table(static_cast<size_t>(rows) * dim);
    for (int r = 0; r < rows; ++r) {
      for (int k = 0; k < dim; ++k) {
        const int random = static_cast<int>(rng() % 256) - 128;
        table[static_cast<size_t>(r) * dim + k] =
            static_cast<int8_t>(r == 0   ? -128
                                : r == 1 ? 127
                                : r == 2 ? (k % 2 ? 127 : -128)
                                         : random);
      }
    }
    const auto t = ScoreTable::from_int8(table, std::vector<float>{1.0f}, rows, dim, {}, "t");
    std::vector<std::vector<float>> users(5, std::vector<float>(dim, 0.0f));
    for (float& v : users[0]) v = -32767.0f;
    for (float& v : users[1]) v = 32767.0f;
    users[2][dim - 1] = 32767.0f;
    for (float& v : users[3]) v = static_cast<float>(static_cast<int>(rng() % 65535) - 32767);
    users[3][0] = -32767.0f;
    // Low bytes 0 and 255, high bytes -128, -1, 0 and 127.
    const float edges[] = {-32767, -32513, -256, -255, -1, 0, 1, 255, 256, 32512, 32767};
    for (int k = 0; k < dim; ++k) users[4][k] = edges[k % 11];
    users[4][0] = -32767.0f;
    std::vector<float> scores(rows);
    for (const auto& user : users) {
      t.score_all(user.data(), scores.data());
      for (int r = 0; r < rows; ++r) {
        int64_t dot = 0;
        for (int k = 0; k < dim; ++k) {
          dot += static_cast<int64_t>(user[k]) * table[static_cast<size_t>(r) * dim + k];
        }
        ASSERT_LT(std::abs(dot), int64_t{1} << 31);
        ASSERT_EQ(scores[r], static_cast<float>(dot)) << "row " << r;
      }
    }
  }
}

TEST(TopKScoring, Int8KernelIsTheExactIntegerDot) {
  expect_int8_scores_are_exact_integer_dots();
}

TEST(TopKScoring, Int8KernelIsTheExactIntegerDotOnEveryCompiledTarget) {
  on_every_compiled_target([] { expect_int8_scores_are_exact_integer_dots(); });
}

// Tables built to stress the prefilter's error bound: row norms over six orders of magnitude,
// biases that dwarf the dot products, near-ties within the approximation error, extreme int8
// codes, and user vectors that are zero, one-hot or huge.
void expect_prefilter_exact_on_adversarial_tables() {
  std::mt19937 rng(17);
  std::normal_distribution<float> normal;
  const int rows = 2003;  // a padded last block and a partial last chunk
  for (int dim : {3, 16, 32, 37}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    std::vector<float> table(static_cast<size_t>(rows) * dim), bias(rows);
    for (int r = 0; r < rows; ++r) {
      const float norm = std::pow(10.0f, static_cast<float>(r % 7) - 3.0f);
      for (int k = 0; k < dim; ++k) table[r * dim + k] = norm * normal(rng);
      bias[r] = r % 5 == 0 ? 1e4f * normal(rng) : 0.01f * normal(rng);
    }
    // Near-ties: rows 100..139 copy row 99 with a last-place nudge.
    for (int r = 100; r < 140; ++r) {
      for (int k = 0; k < dim; ++k) table[r * dim + k] = std::nextafter(table[99 * dim + k], 1.0f);
      bias[r] = bias[99];
    }
    std::vector<int8_t> codes(table.size());
    std::vector<float> scales(rows);
    for (size_t i = 0; i < codes.size(); ++i) {
      codes[i] = static_cast<int8_t>(i % 3 == 0 ? -128 : static_cast<int>(rng() % 255) - 127);
    }
    for (int r = 0; r < rows; ++r) scales[r] = std::pow(2.0f, static_cast<float>(r % 9) - 6.0f);
    auto f32 = ScoreTable::from_float(table, rows, dim, bias, "t");
    f32.force_prefilter();  // also where the pass is a portable loop
    auto i8 = ScoreTable::from_int8(codes, scales, rows, dim, bias, "t");
    i8.force_prefilter();  // where int8 tables do not get it by default (no VNNI) too
    std::vector<std::vector<float>> users(4, std::vector<float>(dim, 0.0f));
    users[1][dim / 2] = 1.0f;
    for (float& v : users[2]) v = 1e6f * normal(rng);
    for (float& v : users[3]) v = normal(rng);
    std::vector<uint8_t> skip(rows, 0);
    for (int r = 0; r < rows; r += 7) skip[r] = 1;
    for (const auto& user : users) {
      for (size_t k : {size_t{1}, size_t{10}, size_t{30}, size_t{50}}) {
        top_k_both(f32, user.data(), skip, k);
        top_k_both(i8, user.data(), skip, k);
        top_k_both(f32, user.data(), {}, k);
      }
    }
  }
}

TEST(TopKScoring, PrefilterIsExactOnAdversarialTables) {
  expect_prefilter_exact_on_adversarial_tables();
}

// A table on which the prefilter's bound is nearly attained: row 0 gets all its score from
// dimensions whose user values round down to level 0 (its approximate score is 0, its exact one
// 190.46, close to its chunk's bound of 222), and row 64, in a chunk of small rows (code scale
// 3 / 127), scores 189 with a lower bound of 186.75. A user-rounding term 20% too small drops
// row 0 (checked: the test then fails).
void expect_prefilter_keeps_the_row_its_bound_barely_saves() {
  // The user's step is 1 (its largest value is the number of levels), so its last three values
  // round to level 0 with an error of 0.4999 each, and row 0 is parallel to that error: both
  // forms of the bound (max|e| sum|row| and |e|_2 |row|_2) are then exactly its approximation's
  // error, 3 * 127 * 0.4999 = 190.46, which just lifts it over row 64 (189).
  const int rows = 128, dim = 4;
  const auto levels = static_cast<float>(prefilter_user_levels());
  std::vector<float> table(static_cast<size_t>(rows) * dim, 0.0f);
  for (int k = 1; k < dim; ++k) table[k] = 127.0f;  // row 0: {0, 127, 127, 127}
  table[64 * dim] = 189.0f / levels;                // row 64: {189 / levels, 0, 0, 0}
  auto t = ScoreTable::from_float(table, rows, dim, {}, "t");
  t.force_prefilter();
  const std::vector<float> user{levels, 0.4999f, 0.4999f, 0.4999f};
  const std::vector<Scored> got = top_k_both(t, user.data(), {}, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].item, 0u);
}

TEST(TopKScoring, PrefilterKeepsTheRowItsBoundBarelySaves) {
  expect_prefilter_keeps_the_row_its_bound_barely_saves();
}

TEST(TopKScoring, PrefilterIsExactOnEveryCompiledTarget) {
  // The kernels are compiled per instruction set (AVX2's byte multiply-add, a portable loop
  // elsewhere); each one this machine runs must give the same results.
  on_every_compiled_target([] {
    expect_prefilter_exact_on_adversarial_tables();
    expect_prefilter_keeps_the_row_its_bound_barely_saves();
  });
}

TEST(TopKScoring, PrefilterOnlyWhereItsPassIsVectorized) {
  // The portable pass is a scalar loop, slower than scoring every row with the float kernel.
  std::vector<float> table(100 * 8, 1.0f);
  EXPECT_EQ(ScoreTable::from_float(table, 100, 8, {}, "t").has_prefilter(), prefilter_vectorized());
  on_every_compiled_target([&] {
    // AVX2 and every AVX-512 target (AVX3, AVX3_DL, ...) run the byte multiply-add pass.
    const bool vectorized = simd_target().starts_with("AVX");
    EXPECT_EQ(prefilter_vectorized(), vectorized);
    EXPECT_EQ(ScoreTable::from_float(table, 100, 8, {}, "t").has_prefilter(), vectorized);
  });
}

// Runs `queries` random queries through one scratch and checks each against the streaming path;
// returns the scratch for its counters. parts 1 or 2 fixes how the prefilter quantizes the user;
// 0 lets the session choose.
TopKScratch run_session(const ScoreTable& t, int dim, int queries, std::mt19937& rng,
                        int parts = 0) {
  std::normal_distribution<float> normal;
  TopKScratch scratch = t.make_scratch();
  scratch.prefilter_parts_fixed = parts != 0;
  scratch.prefilter_two_parts = parts == 2;
  std::vector<float> user(dim);
  std::vector<Scored> want, got;
  TopK top;
  for (int q = 0; q < queries; ++q) {
    for (float& v : user) v = normal(rng);
    top.reset(10);
    t.top_k(user.data(), {}, top);
    top.take_sorted(want);
    top.reset(10);
    t.top_k(user.data(), {}, top, &scratch);
    top.take_sorted(got);
    EXPECT_EQ(want.size(), got.size());
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
      EXPECT_EQ(want[i].item, got[i].item) << "query " << q;
      EXPECT_EQ(want[i].score, got[i].score) << "query " << q;
    }
  }
  return scratch;
}

TEST(TopKScoring, PrefilterStepsAsideWhenItDoesNotPay) {
  std::mt19937 rng(23);
  std::normal_distribution<float> normal;
  const int rows = 3953, dim = 16;
  // Spread rows: few candidates per query, the prefilter serves every query.
  std::vector<float> spread(rows * dim);
  for (float& v : spread) v = normal(rng);
  auto good = ScoreTable::from_float(spread, rows, dim, {}, "t");
  TopKScratch kept = run_session(good, dim, 300, rng);
  EXPECT_EQ(kept.prefiltered_queries, 300u);
  EXPECT_EQ(kept.full_queries, 0u);
  // Rows equal up to noise far below the approximation error: every row is a candidate, so after
  // a few queries the session scores every row for kPrefilterPause queries, then tries again.
  std::vector<float> clustered(rows * dim);
  std::vector<float> center(dim);
  for (float& v : center) v = normal(rng);
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < dim; ++k) clustered[r * dim + k] = center[k] + 1e-4f * normal(rng);
  }
  auto bad = ScoreTable::from_float(clustered, rows, dim, {}, "t");
  TopKScratch paused = run_session(bad, dim, 300, rng);
  EXPECT_GE(paused.full_queries, static_cast<size_t>(kPrefilterPause));
  EXPECT_GT(paused.prefiltered_queries, 0u);
  EXPECT_LT(paused.prefiltered_queries, 300u - kPrefilterPause);
}

TEST(TopKScoring, UserRoundingMatchesLround) {
  // The int8 kernel's user quantization must keep std::lround's results: halves, the floats just
  // below and above them, and random values over the int16 range.
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> uniform(-32767.5f, 32767.5f);
  std::vector<float> values;
  for (int i = -40000; i <= 40000; ++i) {
    const float half = static_cast<float>(i) + 0.5f;
    values.insert(values.end(), {half, std::nextafter(half, 0.0f), std::nextafter(half, 1e9f),
                                 -half, static_cast<float>(i)});
  }
  for (int i = 0; i < 100000; ++i) values.push_back(uniform(rng));
  values.insert(values.end(), {0.0f, -0.0f, std::nextafter(0.5f, 0.0f), 1e-30f, -1e-30f});
  for (float x : values) ASSERT_EQ(round_half_away(x), std::lround(x)) << x;
  // Outside lround's range the result saturates (a non-finite user vector is rejected before
  // quantization anyway; this keeps the conversion defined).
  EXPECT_EQ(round_half_away(NAN), 0);
  EXPECT_EQ(round_half_away(INFINITY), 0x7fffffffL);
  EXPECT_EQ(round_half_away(-3e9f), -0x7fffffffL);
}

TEST(TopKScoring, NonFiniteUserVectorsAreAnError) {
  const int rows = 300, dim = 8;
  std::vector<float> table(rows * dim, 0.5f), user(dim, 1.0f);
  auto t = ScoreTable::from_float(table, rows, dim, {}, "t");
  auto scratch = t.make_scratch();
  TopK top;
  for (float bad : {INFINITY, -INFINITY, std::nanf("")}) {
    user[3] = bad;
    top.reset(5);
    EXPECT_THROW(t.top_k(user.data(), {}, top), Error);
    EXPECT_THROW(t.top_k(user.data(), {}, top, &scratch), Error);
  }
}

TEST(TopKScoring, PrefilterTakesTheUsersSecondPartWhereItPays) {
  std::mt19937 rng(31);
  std::normal_distribution<float> normal;
  const int rows = 3953, dim = 16;
  // Rows around a common direction, so that many score close to the k-th best (as the starter
  // CNN's do, more tightly): with the user in one part the prefilter scores about 120 rows a
  // query and steps aside; with two parts, about 55, and it serves every query (without scoring
  // the best rows first, PrefilterQuery::score_best_first(), about 160, and it stepped aside).
  std::vector<float> center(dim), clustered(rows * dim);
  for (float& v : center) v = normal(rng);
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < dim; ++k) clustered[r * dim + k] = center[k] + 0.05f * normal(rng);
  }
  auto t = ScoreTable::from_float(clustered, rows, dim, {}, "t");
  const TopKScratch one = run_session(t, dim, 300, rng, /*parts=*/1);
  EXPECT_EQ(one.two_part_queries, 0u);
  EXPECT_GT(one.full_queries, 200u);
  const TopKScratch two = run_session(t, dim, 300, rng, /*parts=*/2);
  EXPECT_EQ(two.two_part_queries, 300u);
  EXPECT_EQ(two.full_queries, 0u);
  EXPECT_LT(two.prefilter_exact_rows, 300u * 80);
  // The session chooses two parts after its first queries.
  const TopKScratch chosen = run_session(t, dim, 300, rng);
  EXPECT_EQ(chosen.full_queries, 0u);
  EXPECT_GT(chosen.two_part_queries, 280u);
  // Spread rows: a handful of rows beyond the k best, one part.
  std::vector<float> spread(rows * dim);
  for (float& v : spread) v = normal(rng);
  const TopKScratch spread_session =
      run_session(ScoreTable::from_float(spread, rows, dim, {}, "t"), dim, 300, rng);
  EXPECT_EQ(spread_session.prefiltered_queries, 300u);
  EXPECT_EQ(spread_session.two_part_queries, 0u);
}

}  // namespace
}  // namespace pocketrec::runtime
