#pragma once
// The exact fast path of the top-K for tables whose scores fit in cache. Every row is first scored
// approximately from 8-bit codes against the user vector quantized to 7 or 8 bits (four dimensions
// per integer multiply-add, a quarter of a float table's bytes), or in two parts, the second a
// finer quantization of what the first leaves, for sessions whose queries find many rows close to
// the k-th best (two_parts_excess_rows). A rigorous bound on the gap between the approximate and
// the exact score, one per 64-row chunk, then singles out the rows that can still be among the K
// best, and only those are scored exactly, with the arithmetic of the full kernel (float32, or the
// int8 kernel's int16 user): the results are identical, bit for bit, to scoring every row
// exactly. int8 tables take it only with VNNI (with AVX2's byte multiply-adds the int8 kernel was
// faster on real queries, sessions 4 and 7); machines without AVX2 not at all (see
// prefilter_vectorized).
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/large_buffer.hpp"
#include "runtime/score_kernels.hpp"

namespace pocketrec::runtime {

class TopK;
struct TopKScratch;

// 16 rows: one zmm of int32 sums on AVX-512 (AVX2 takes a block in two halves).
inline constexpr int kPrefilterBlockRows = 16;
inline constexpr int kPrefilterChunkRows = 64;
// The user's quads live on the stack.
inline constexpr int kMaxPrefilterDim = 512;

// What one query hands the per-target kernels (prefilter_kernels.cpp).
struct PrefilterQuery {
  const uint8_t* codes;      // 128 + code, [block][quad][16 rows][4 dims]
  int32_t code_offset;       // -128 * the sum of the user levels: removes the codes' offset
  const float* chunk_scale;  // per 64-row chunk: code scale
  const float* bias;         // masked bias (-inf: never returned), >= the padded rows
  int rows, dim, quads, blocks;
  const uint32_t* user_quads;  // signed user levels, four bytes per quad of dimensions
  float user_step;             // user ~= user_step * levels (+ user_step_low * low levels)
  // With two parts (else null): what the levels leave of the user, in levels of a step
  // 2 * prefilter_user_levels() times finer. A second dot product with the same codes then all but
  // removes the user's rounding from the error bound.
  const uint32_t* user_quads_low;
  int32_t code_offset_low;
  float user_step_low;
  // |exact - approximate| <= chunk_error[c] for every row of 64-row chunk c; and, tighter, for
  // row r of chunk c: <= chunk_rest[c] + min(alpha_l1 * row_l1[r], alpha_l2 * row_l2[r]) (the
  // user's rounding bounded by the row's own norms, taken for the lower bounds of the rows that
  // pass their chunk's, where a higher k-th best lower bound leaves fewer rows to score).
  const float* chunk_error;
  const float* chunk_rest;
  const float* row_norms;  // per row r: row_l1[r] then row_l2[r] (one line per row)
  float alpha_l1, alpha_l2;
  // Exact scoring, with the ScoreTable kernel's arithmetic: float rows, row-major, against the
  // user; or (rows_i8 set) int8 rows, row-major, against the user as the int8 kernel quantizes it
  // (Int8User: values times scale), times the row's scale.
  const float* rows_f32;
  const float* user;
  const int8_t* rows_i8;
  const Int8User* user_i8;
  const float* row_scale;
  // Whether the k rows with the best lower bounds are scored exactly before the others are
  // chosen: the k-th best exact score is at least the least of theirs, which is at least the k-th
  // best lower bound (each one's exact >= its low) and typically a bound's width above it, so the
  // band of rows left to score exactly about halves. It pays where many rows score close to the
  // k-th best, the sessions that take the user in two parts (the starter CNN: 31.4 -> 20.9 rows
  // a query, 2.75-2.93 -> 2.72-2.81 us); elsewhere the k rows cost more than the few they save
  // (starter BOW 14.7 -> 12.3 rows, 1.80 -> 1.87 us; LSTM 16.3 -> 13.0, 2.49-2.51 -> 2.52-2.57).
  // The rows are scored again with the others: marking them for that pass to skip cost more.
  bool score_best_first() const { return user_quads_low != nullptr; }
};

struct UserLevels;

class Prefilter {
 public:
  Prefilter() = default;
  // Float rows, row-major: each row gets 8-bit codes with its chunk's scale; the rows are kept
  // row-major, two cache lines per row at D = 32, for the exact scores.
  static Prefilter from_float(std::span<const float> table, int rows, int dim,
                              std::span<const float> bias);
  // int8 rows, row-major, with their scales (one, or one per row): the codes come from the
  // dequantized rows, and the int8 rows are kept row-major for the exact scores.
  static Prefilter from_int8(std::span<const int8_t> table, std::span<const float> row_scales,
                             int rows, int dim, std::span<const float> bias);
  bool empty() const { return rows_ == 0; }
  size_t bytes() const;
  // Sizes the scratch buffers this path needs.
  void prepare(TopKScratch& scratch) const;
  // Feeds `top` the K best rows by exact score, as ScoreTable::top_k_masked, and returns the
  // number of rows it scored exactly; or -1, having done nothing, when k exceeds the table's
  // 64-row chunks, the user vector is not finite or the error bound overflows (the caller then
  // scores every row). The user takes two parts (PrefilterQuery::user_quads_low) where
  // scratch.prefilter_two_parts says so.
  // int8 tables need the user as their kernel quantizes it and the rows' scales.
  int top_k(const float* user, const float* masked_bias, TopKScratch& scratch, TopK& top,
            const Int8User* user_i8 = nullptr, const float* row_scale = nullptr) const;
  // The user's second part doubles the approximate pass's multiply-adds and about halves the
  // rows scored beyond the K best. It pays where a session's queries score more than this many
  // rows beyond them with one part: measured on the starter models (3,952 x 16, AVX-512 VNNI),
  // the second part costs 0.12-0.15 us a query (BOW) and each row not scored saves about 13 ns
  // (CNN: 52.7 -> 31.4 rows a query, 2.99-3.11 -> 2.84-2.92 us), so it pays from about 20 rows
  // beyond the K best, and its cost grows with the codes' bytes. (With two parts the K best rows
  // are also scored first, PrefilterQuery::score_best_first(): the CNN's one part then scores 32.4
  // rows, two parts 20.9, and two parts stay ahead, 2.86-2.95 against 2.79-2.85 us.)
  float two_parts_excess_rows() const {
    return static_cast<float>(blocks_ * kPrefilterBlockRows) * static_cast<float>(quads_) / 800.0f;
  }
  // Beyond this many exactly scored rows per query the prefilter costs more than scoring every
  // row. Set from the starter models (3,952 x 16, limit 123): the starter CNN with 62 exact rows
  // per query answers in 3.6 us through the prefilter against 4.2 us scoring every row
  // (`bench --model recommendation_cnn_i10o100.tflite`, with and without --no-prefilter).
  float exact_rows_limit() const {
    return std::max(16.0f, static_cast<float>(rows_) * static_cast<float>(dim_) / 512.0f);
  }

 private:
  void build_codes(int rows, int dim);
  // Codes, chunk scales and norms and the bound's maxima from the float rows row_of(r, out)
  // writes.
  template <class RowOf>
  void encode_rows(const RowOf& row_of, std::span<const float> bias);
  size_t chunks() const;  // of kPrefilterChunkRows rows
  // The bound on |exact - approximate| for this query's user (explained in top_k), in parts.
  struct ErrorBound {
    float alpha_l1, alpha_l2, beta, rounding;
  };
  ErrorBound error_bound(const UserLevels& levels, float max_abs, float step) const;
  PrefilterQuery query(const UserLevels& levels, float step, float step_low, bool two_parts,
                       const ErrorBound& bound, TopKScratch& scratch) const;
  uint8_t& code(int row, int k) {
    const size_t block = row / kPrefilterBlockRows, lane = row % kPrefilterBlockRows;
    return codes_[((block * quads_ + k / 4) * kPrefilterBlockRows + lane) * 4 + k % 4];
  }

  int rows_ = 0, dim_ = 0, quads_ = 0, blocks_ = 0;
  HotVector<uint8_t> codes_;
  // Per 64-row chunk, the largest sum|row|, |row|_2 and the code scale: the error bound of a query
  // is computed per chunk from these, so the approximate pass does no per-row bound arithmetic.
  std::vector<float> chunk_l1_, chunk_l2_, chunk_scale_;
  // Each row's sum|row| and |row|_2 (rounded up), side by side: the candidates' bounds load one
  // line per row.
  std::vector<float> row_norms_;
  HotVector<float> rows_f32_;
  HotVector<int8_t> rows_i8_;  // int8 tables: row-major
  // Table-wide maxima for the error bound: sum|row|, code scale, sum|row| + dim * scale, |bias|.
  float max_l1_ = 0, max_code_scale_ = 0, max_width_ = 0, max_abs_bias_ = 0;
};

// The user quantized to levels of `step` (and, with two parts, what they leave to levels of
// `step_low`), and what the error bound needs of it (Prefilter::top_k).
struct UserLevels {
  uint32_t quads[kMaxPrefilterDim / 4], quads_low[kMaxPrefilterDim / 4];  // four levels each
  int32_t levels_sum, low_sum;
  // Of e = exact user - (step * levels + step_low * low levels), in double, where each term is
  // exact: max|e| and sum e^2 (rounded, to be rounded up by the caller).
  double error_max, error_squares;
  float approx_l1;  // sum |step * levels + step_low * low levels|, rounded
};
// user[0, dim), or with user_i8 its int16 form (the exact score's user), levels for quads * 4
// dimensions (zero beyond dim). step 0: every level 0.
void quantize_user(const float* user, const Int8User* user_i8, int dim, int quads, float step,
                   float step_low, bool two_parts, UserLevels& out);
// Returns the number of rows scored exactly.
int top_k_prefiltered(const PrefilterQuery& query, TopKScratch& scratch, TopK& top);
// Whether the approximate pass is vectorized on the instruction set the kernels run on (x86 with
// AVX2 or AVX-512). Elsewhere (ARM, older x86) its portable loop is slower than scoring every
// row, so tables do not get the prefilter there.
bool prefilter_vectorized();
// Whether the approximate pass runs on VNNI's vpdpbusd (Highway's AVX3_DL target: Ice Lake, Zen 4
// and later), chosen at run time like every kernel, so portable builds get it too.
bool prefilter_vnni();
// The user's levels are in [-L, L]: with VNNI's int32 sums L = 127; with AVX2's byte multiply-adds,
// which sum pairs in int16, L = 63 (see prefilter.cpp).
inline constexpr int kPrefilterVnniLevels = 127, kPrefilterPairLevels = 63;
inline int prefilter_user_levels() {
  return prefilter_vnni() ? kPrefilterVnniLevels : kPrefilterPairLevels;
}

}  // namespace pocketrec::runtime
