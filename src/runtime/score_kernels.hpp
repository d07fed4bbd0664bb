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
// int8 rows ([block][dim pair][16 rows][2] layout) against the user vector quantized to int16
// (user ~= user_scale * q, q packed two per int32): bias + scale[row] * user_scale * dot(q, row).
float score_blocks_i8(const int8_t* table, const float* scale, const float* bias,
                      const int32_t* user_pairs, float user_scale, int pairs, int first, int count,
                      float* out);

// Queries that score every row after the prefilter stopped paying, before it is tried again.
inline constexpr int kPrefilterPause = 256;

// Chunks of this many blocks are scored, then offered to the top-K, at a time.
inline constexpr int kChunkBlocks = 4;

// Scores all `blocks` and offers rows [0, rows) that reach the running threshold to `top`, chunk
// by chunk in table order (a sequential walk keeps the prefetchers streaming a large table).
void top_k_f32(const float* table, const float* bias, const float* user, int dim, int blocks,
               int rows, TopK& top);
void top_k_i8(const int8_t* table, const float* scale, const float* bias, const int32_t* user_pairs,
              float user_scale, int pairs, int blocks, int rows, TopK& top);

// Per-session buffers of the two-pass top-K: every score, each chunk's maximum, a copy of those
// for the selection, and the candidate rows selected among; for the prefilter, scores and
// chunk_max hold the approximate scores, chunk_error and low_max each chunk's error bound and
// largest lower bound. Sized by ScoreTable::make_scratch.
struct TopKScratch {
  std::vector<float> scores, chunk_max, spare;
  std::vector<float> chunk_error, low_max;
  std::vector<Scored> candidates;
  // Whether the prefilter pays for this session's queries: a moving average of the rows it
  // scored exactly; above the table's limit, the next kPrefilterPause queries score every row.
  float exact_rows_average = 0.0f;
  int prefilter_pause = 0;
  size_t prefiltered_queries = 0, full_queries = 0;  // counts, for tests and benchmarks
  size_t prefilter_exact_rows = 0;                   // rows the prefilter scored exactly
  size_t coarse_queries = 0, coarse_exact_rows = 0;  // the same for the 4-bit filter
  std::vector<float> coarse_bounds;                  // the 4-bit filter's block bounds
  bool reverse = false;  // the direction of the last walk over the table (alternates)
};
void top_k_two_pass_f32(const float* table, const float* bias, const float* user, int dim,
                        int blocks, int rows, TopKScratch& scratch, TopK& top);
void top_k_two_pass_i8(const int8_t* table, const float* scale, const float* bias,
                       const int32_t* user_pairs, float user_scale, int pairs, int blocks, int rows,
                       TopKScratch& scratch, TopK& top);

}  // namespace pocketrec::runtime
