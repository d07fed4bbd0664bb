#pragma once
// Entry points of the Highway kernels (runtime dispatch to the best instruction set).
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/top_k.hpp"

namespace pocketrec::runtime {

// out[b * 16 + r] = bias[row] + dot(user, row) for the 16 rows of blocks [first, first + count);
// both return the largest score written (padding rows included), so callers can skip a chunk.
float score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                       int count, float* out);

inline constexpr int kMaxInt8Quads = 128;  // of dimensions: 512

// The user vector of an int8 query, quantized to int16: user ~= scale * values.
struct Int8User {
  float scale = 1.0f;
  alignas(64) int16_t values[kMaxInt8Quads * 4];  // zero beyond the table's dimensions
  // Per quad, for byte multiply-adds (VNNI): the four values' low bytes, and their high bytes
  // plus 128, so both are unsigned and value = 256 * (high - 128) + low.
  uint32_t low_bytes[kMaxInt8Quads], high_bytes[kMaxInt8Quads];
};

// An int8 table as the kernels read it: blocks of 16 rows, [block][quad][16 rows][4 dims], with
// each row's scale, its (masked) bias and the sum of its int8 values, all padded to blocks * 16.
// A row scores bias + scale * user.scale * dot(user.values, row), the dot product exact in int32.
struct Int8Scoring {
  const int8_t* table;
  const int32_t* row_sums;
  const float* scale;
  const float* bias;  // masked bias (-inf: never returned)
  const Int8User* user;
  int quads, blocks, rows;
};

float score_blocks_i8(const Int8Scoring& x, int first, int count, float* out);

// Queries that score every row after the prefilter stopped paying, before it is tried again.
inline constexpr int kPrefilterPause = 256;
// Prefiltered queries a session averages before it may pause: the average starts at zero and
// weighs each query 1/8, so one unusual first user (1,272 exact rows against about 55 on
// TopKScoring.PrefilterTakesTheUsersSecondPartWhereItPays) would otherwise pause it alone.
inline constexpr size_t kPrefilterWarmup = 8;

// Chunks of this many blocks are scored, then offered to the top-K, at a time.
inline constexpr int kChunkBlocks = 4;

// Scores all `blocks` and offers rows [0, rows) that reach the running threshold to `top`, chunk
// by chunk in table order (a sequential walk keeps the prefetchers streaming a large table).
void top_k_f32(const float* table, const float* bias, const float* user, int dim, int blocks,
               int rows, TopK& top);
void top_k_i8(const Int8Scoring& x, TopK& top);

// Per-session buffers of the two-pass top-K: every score, each chunk's maximum, a copy of those
// for the selection, and the candidate rows selected among; for the prefilter, scores and
// chunk_max hold the approximate scores, chunk_error and low_max each chunk's error bound and
// largest lower bound (low_max only for k beyond RunningBest's lanes). Sized by
// ScoreTable::make_scratch.
struct TopKScratch {
  std::vector<float> scores, chunk_max, spare;
  std::vector<float> chunk_error, chunk_rest, low_max;
  std::vector<Scored> candidates;
  // Whether the prefilter pays for this session's queries: a moving average of the rows it
  // scored exactly; above the table's limit, the next kPrefilterPause queries score every row.
  float exact_rows_average = 0.0f;
  int prefilter_pause = 0;
  // Whether the prefilter quantizes the user in two parts (Prefilter::two_parts_excess_rows), and
  // whether the session keeps it as set instead of choosing from exact_rows_average (tests).
  bool prefilter_two_parts = false, prefilter_parts_fixed = false;
  size_t two_part_queries = 0;  // prefiltered queries with the user in two parts
  size_t prefiltered_queries = 0, full_queries = 0;  // counts, for tests and benchmarks
  size_t prefilter_exact_rows = 0;                   // rows the prefilter scored exactly
  size_t coarse_queries = 0, coarse_exact_rows = 0;  // the same for the 4-bit filter
  std::vector<float> coarse_bounds;                  // the 4-bit filter's block bounds
  bool reverse = false;  // the direction of the last walk over the table (alternates)
};
void top_k_two_pass_f32(const float* table, const float* bias, const float* user, int dim,
                        int blocks, int rows, TopKScratch& scratch, TopK& top);
void top_k_two_pass_i8(const Int8Scoring& x, TopKScratch& scratch, TopK& top);

}  // namespace pocketrec::runtime
