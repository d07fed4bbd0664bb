// SIMD scoring kernels, compiled once per instruction set with Highway and picked at run time.
// Each block holds 16 rows stored dimension-major, so scoring is one broadcast FMA per dimension
// per vector of rows.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/score_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "runtime/score_blocks-inl.h"
#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"
#include "runtime/top_k_feed-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void TopKF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
             const float* HWY_RESTRICT user, int dim, int blocks, int rows, TopK& top) {
  HWY_ALIGN float chunk[kChunkBlocks * 16];
  for (int first = 0; first < blocks; first += kChunkBlocks) {
    const int count = std::min(kChunkBlocks, blocks - first);
    const float best = ScoreBlocksF32(table, bias, user, dim, first, count, chunk);
    FeedChunk(chunk, static_cast<uint32_t>(first * 16), std::min(count * 16, rows - first * 16),
              best, -HUGE_VALF, top);
  }
}

void TopKI8(const Int8Scoring& x, TopK& top) {
  HWY_ALIGN float chunk[kChunkBlocks * 16];
  // Chunks in interleaved runs: the table streams from memory faster.
  const int chunks = (x.blocks + kChunkBlocks - 1) / kChunkBlocks;
  ForEachInterleaved(chunks, [&](int c) {
    const int first = c * kChunkBlocks;
    const int count = std::min(kChunkBlocks, x.blocks - first);
    const float best = ScoreBlocksI8(x, first, count, chunk);
    FeedChunk(chunk, static_cast<uint32_t>(first * 16), std::min(count * 16, x.rows - first * 16),
              best, -HUGE_VALF, top);
  });
}

// Two passes for tables whose scores fit in cache: all scores and each chunk's maximum first; the
// k-th largest chunk maximum is then a lower bound of the k-th best score (k chunks each hold a
// row reaching it), so only the rows at or above it are collected, and the k best of those go to
// the heap.
template <class ScoreChunk>
void TopKTwoPass(int blocks, int rows, float* HWY_RESTRICT scores, float* HWY_RESTRICT chunk_max,
                 float* HWY_RESTRICT spare, Scored* HWY_RESTRICT candidates, bool reverse,
                 TopK& top, const ScoreChunk& score_chunk) {
  const int chunks = (blocks + kChunkBlocks - 1) / kChunkBlocks;
  // Every other query walks the table backwards: what the last query read most recently is then
  // read first, while still cached, so a table slightly larger than L2 mostly hits (a table
  // walked in one direction misses throughout once it exceeds the cache).
  RunningBest maxima;
  for (int i = 0; i < chunks; ++i) {
    const int c = reverse ? chunks - 1 - i : i;
    const int first = c * kChunkBlocks;
    chunk_max[c] = score_chunk(first, std::min(kChunkBlocks, blocks - first), scores + first * 16);
    maxima.add(chunk_max[c]);
  }
  const size_t k = top.k();
  // -inf with fewer than k chunks.
  const float floor =
      RunningBest::holds(k) ? maxima.kth(k) : KthLargestChunkMax(chunk_max, chunks, k, spare);
  size_t n = 0;
  for (int c = 0; c < chunks; ++c) {
    if (!(chunk_max[c] >= floor) || chunk_max[c] == -HUGE_VALF) continue;
    const int base = c * kChunkBlocks * 16;
    for (uint64_t bits =
             AtLeastBits(scores + base, std::min(kChunkBlocks * 16, rows - base), floor);
         bits; bits &= bits - 1) {
      const int row = base + std::countr_zero(bits);
      candidates[n++] = {static_cast<uint32_t>(row), scores[row]};
    }
  }
  PushBest(candidates, n, top);
}

void TopKTwoPassF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
                    const float* HWY_RESTRICT user, int dim, int blocks, int rows,
                    float* HWY_RESTRICT scores, float* HWY_RESTRICT chunk_max,
                    float* HWY_RESTRICT spare, Scored* HWY_RESTRICT candidates, bool reverse,
                    TopK& top) {
  TopKTwoPass(blocks, rows, scores, chunk_max, spare, candidates, reverse, top,
              [&](int first, int count, float* out) {
                return ScoreBlocksF32(table, bias, user, dim, first, count, out);
              });
}

void TopKTwoPassI8(const Int8Scoring& x, float* HWY_RESTRICT scores, float* HWY_RESTRICT chunk_max,
                   float* HWY_RESTRICT spare, Scored* HWY_RESTRICT candidates, bool reverse,
                   TopK& top) {
  TopKTwoPass(
      x.blocks, x.rows, scores, chunk_max, spare, candidates, reverse, top,
      [&](int first, int count, float* out) { return ScoreBlocksI8(x, first, count, out); });
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(ScoreBlocksF32);
HWY_EXPORT(ScoreBlocksI8);
HWY_EXPORT(TopKF32);
HWY_EXPORT(TopKI8);
HWY_EXPORT(TopKTwoPassF32);
HWY_EXPORT(TopKTwoPassI8);

void top_k_two_pass_f32(const float* table, const float* bias, const float* user, int dim,
                        int blocks, int rows, TopKScratch& scratch, TopK& top) {
  scratch.reverse = !scratch.reverse;
  HWY_DYNAMIC_DISPATCH(TopKTwoPassF32)
  (table, bias, user, dim, blocks, rows, scratch.scores.data(), scratch.chunk_max.data(),
   scratch.spare.data(), scratch.candidates.data(), scratch.reverse, top);
}

void top_k_two_pass_i8(const Int8Scoring& x, TopKScratch& scratch, TopK& top) {
  scratch.reverse = !scratch.reverse;
  HWY_DYNAMIC_DISPATCH(TopKTwoPassI8)
  (x, scratch.scores.data(), scratch.chunk_max.data(), scratch.spare.data(),
   scratch.candidates.data(), scratch.reverse, top);
}

void top_k_f32(const float* table, const float* bias, const float* user, int dim, int blocks,
               int rows, TopK& top) {
  HWY_DYNAMIC_DISPATCH(TopKF32)(table, bias, user, dim, blocks, rows, top);
}

void top_k_i8(const Int8Scoring& x, TopK& top) {
  HWY_DYNAMIC_DISPATCH(TopKI8)(x, top);
}

float score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                       int count, float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksF32)(table, bias, user, dim, first, count, out);
}

float score_blocks_i8(const Int8Scoring& x, int first, int count, float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksI8)(x, first, count, out);
}

std::string simd_target() {
  return hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]);
}

}  // namespace pocketrec::runtime
#endif
