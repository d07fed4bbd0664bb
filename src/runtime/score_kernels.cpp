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

#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Up to 16 lanes: one block is then 1, 2 or 4 vectors.
using Tag = hn::CappedTag<float, 16>;

// Scores blocks [first, first + count) into out; returns the largest score written. Four blocks
// are scored together so eight (AVX2) independent FMA chains hide the FMA latency.
float ScoreBlocksF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
                     const float* HWY_RESTRICT user, int dim, int first, int count,
                     float* HWY_RESTRICT out) {
  const Tag d;
  const size_t n = hn::Lanes(d);
  auto best = hn::Set(d, -HUGE_VALF);
  int b = 0;
  if (n == 8) {
    const size_t stride = static_cast<size_t>(dim) * 16;
    for (; b + 4 <= count; b += 4) {
      const float* t0 = table + static_cast<size_t>(first + b) * stride;
      const float* bb = bias + static_cast<size_t>(first + b) * 16;
      auto a0 = hn::LoadU(d, bb), a1 = hn::LoadU(d, bb + 8), a2 = hn::LoadU(d, bb + 16),
           a3 = hn::LoadU(d, bb + 24), a4 = hn::LoadU(d, bb + 32), a5 = hn::LoadU(d, bb + 40),
           a6 = hn::LoadU(d, bb + 48), a7 = hn::LoadU(d, bb + 56);
      for (int k = 0; k < dim; ++k) {
        const auto u = hn::Set(d, user[k]);
        const float* p = t0 + k * 16;
        a0 = hn::MulAdd(u, hn::LoadU(d, p), a0);
        a1 = hn::MulAdd(u, hn::LoadU(d, p + 8), a1);
        a2 = hn::MulAdd(u, hn::LoadU(d, p + stride), a2);
        a3 = hn::MulAdd(u, hn::LoadU(d, p + stride + 8), a3);
        a4 = hn::MulAdd(u, hn::LoadU(d, p + 2 * stride), a4);
        a5 = hn::MulAdd(u, hn::LoadU(d, p + 2 * stride + 8), a5);
        a6 = hn::MulAdd(u, hn::LoadU(d, p + 3 * stride), a6);
        a7 = hn::MulAdd(u, hn::LoadU(d, p + 3 * stride + 8), a7);
      }
      float* o = out + static_cast<size_t>(b) * 16;
      hn::StoreU(a0, d, o);
      hn::StoreU(a1, d, o + 8);
      hn::StoreU(a2, d, o + 16);
      hn::StoreU(a3, d, o + 24);
      hn::StoreU(a4, d, o + 32);
      hn::StoreU(a5, d, o + 40);
      hn::StoreU(a6, d, o + 48);
      hn::StoreU(a7, d, o + 56);
      best = hn::Max(best, hn::Max(hn::Max(hn::Max(a0, a1), hn::Max(a2, a3)),
                                   hn::Max(hn::Max(a4, a5), hn::Max(a6, a7))));
    }
  }
  for (; b < count; ++b) {
    const float* block = table + static_cast<size_t>(first + b) * dim * 16;
    const float* block_bias = bias + static_cast<size_t>(first + b) * 16;
    float* o = out + static_cast<size_t>(b) * 16;
    for (size_t v = 0; v < 16; v += n) {
      auto a = hn::LoadU(d, block_bias + v);
      for (int k = 0; k < dim; ++k)
        a = hn::MulAdd(hn::Set(d, user[k]), hn::LoadU(d, block + k * 16 + v), a);
      hn::StoreU(a, d, o + v);
      best = hn::Max(best, a);
    }
  }
  return hn::GetLane(hn::MaxOfLanes(d, best));
}

// int8 rows against an int16-quantized user vector: pairs of dimensions are multiplied and
// summed in one integer instruction (vpmaddwd on x86), so a vector of rows costs a widen, a
// multiply-add and an add per two dimensions. Layout per block: [pair][16 rows][2].
// user_pairs[p] packs the int16 user values of dimensions 2p and 2p + 1.
float ScoreBlocksI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
                    const float* HWY_RESTRICT bias, const int32_t* HWY_RESTRICT user_pairs,
                    float user_scale, int pairs, int first, int count, float* HWY_RESTRICT out) {
  const hn::CappedTag<int32_t, 8> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::Rebind<float, decltype(d32)> df;
  const size_t n = hn::Lanes(d32);
  auto best = hn::Set(df, -HUGE_VALF);
  for (int b = 0; b < count; ++b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * pairs * 32;
    const size_t row0 = static_cast<size_t>(first + b) * 16;
    float* o = out + static_cast<size_t>(b) * 16;
    auto finish = [&](size_t v, decltype(hn::Zero(d32)) sum0, decltype(hn::Zero(d32)) sum1) {
      const auto dot = hn::ConvertTo(df, hn::RearrangeToOddPlusEven(sum0, sum1));
      const auto scored =
          hn::MulAdd(hn::Mul(dot, hn::Set(df, user_scale)), hn::LoadU(df, scale + row0 + v),
                     hn::LoadU(df, bias + row0 + v));
      hn::StoreU(scored, df, o + v);
      best = hn::Max(best, scored);
    };
    if (n == 8) {  // both halves of the block share each user pair
      auto a0 = hn::Zero(d32), b0 = hn::Zero(d32), a1 = hn::Zero(d32), b1 = hn::Zero(d32);
      for (int p = 0; p < pairs; ++p) {
        const auto u = hn::BitCast(d16, hn::Set(d32, user_pairs[p]));
        a0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, block + p * 32)),
                                           u, a0, b0);
        a1 = hn::ReorderWidenMulAccumulate(
            d32, hn::PromoteTo(d16, hn::LoadU(d8, block + p * 32 + 16)), u, a1, b1);
      }
      finish(0, a0, b0);
      finish(8, a1, b1);
      continue;
    }
    for (size_t v = 0; v < 16; v += n) {
      auto sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
      for (int p = 0; p < pairs; ++p) {
        const auto w = hn::PromoteTo(d16, hn::LoadU(d8, block + p * 32 + v * 2));
        const auto u = hn::BitCast(d16, hn::Set(d32, user_pairs[p]));
        sum0 = hn::ReorderWidenMulAccumulate(d32, w, u, sum0, sum1);
      }
      finish(v, sum0, sum1);
    }
  }
  return hn::GetLane(hn::MaxOfLanes(df, best));
}

// Offers the rows of a scored chunk that reach the running threshold to `top`. The comparison is
// one vector compare per 8 (or 16) rows turned into bits, so rows that cannot enter cost nothing
// beyond it once the heap is warm. A row tying the threshold is offered too (the two-pass floor is
// itself some row's score) and TopK settles ties by index. Rows scored -inf (filtered) never enter.
void FeedChunk(const float* HWY_RESTRICT chunk, uint32_t base, int n, float best, float floor,
               TopK& top) {
  float threshold = std::max(floor, top.threshold());
  if (!(best >= threshold) || best == -HUGE_VALF) return;
  const Tag d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int v = 0; v < n; v += lanes) {
    uint8_t bytes[8] = {};
    const auto scores = hn::LoadU(d, chunk + v);
    const auto at_least = hn::Ge(scores, hn::Set(d, threshold));
    hn::StoreMaskBits(d, hn::And(at_least, hn::Gt(scores, hn::Set(d, -HUGE_VALF))), bytes);
    uint32_t bits = bytes[0] | (static_cast<uint32_t>(bytes[1]) << 8);
    while (bits) {
      const int i = v + std::countr_zero(bits);
      bits &= bits - 1;
      if (i >= n) break;
      if (chunk[i] >= threshold && chunk[i] > -HUGE_VALF) {
        top.push(base + static_cast<uint32_t>(i), chunk[i]);
        threshold = std::max(floor, top.threshold());
      }
    }
  }
}

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

void TopKI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
            const float* HWY_RESTRICT bias, const int32_t* HWY_RESTRICT user_pairs,
            float user_scale, int pairs, int blocks, int rows, TopK& top) {
  HWY_ALIGN float chunk[kChunkBlocks * 16];
  for (int first = 0; first < blocks; first += kChunkBlocks) {
    const int count = std::min(kChunkBlocks, blocks - first);
    const float best =
        ScoreBlocksI8(table, scale, bias, user_pairs, user_scale, pairs, first, count, chunk);
    FeedChunk(chunk, static_cast<uint32_t>(first * 16), std::min(count * 16, rows - first * 16),
              best, -HUGE_VALF, top);
  }
}

// Two passes for tables whose scores fit in cache: all scores and each chunk's maximum first; the
// k-th largest chunk maximum is then a lower bound of the k-th best score (k chunks each hold a
// row reaching it), so the second pass offers only rows at or above it, in row order, and the
// heap sees little more than the winners.
template <class ScoreChunk>
void TopKTwoPass(int blocks, int rows, float* HWY_RESTRICT scores, float* HWY_RESTRICT chunk_max,
                 float* HWY_RESTRICT spare, bool reverse, TopK& top,
                 const ScoreChunk& score_chunk) {
  const int chunks = (blocks + kChunkBlocks - 1) / kChunkBlocks;
  // Every other query walks the table backwards: what the last query read most recently is then
  // read first, while still cached, so a table slightly larger than L2 mostly hits (a table
  // walked in one direction misses throughout once it exceeds the cache).
  for (int i = 0; i < chunks; ++i) {
    const int c = reverse ? chunks - 1 - i : i;
    const int first = c * kChunkBlocks;
    chunk_max[c] = score_chunk(first, std::min(kChunkBlocks, blocks - first), scores + first * 16);
  }
  float floor = -HUGE_VALF;
  const size_t k = top.k();
  if (k >= 1 && k <= static_cast<size_t>(chunks)) {
    // The k largest maxima by insertion into a sorted list: most chunks fail the first compare.
    size_t held = 0;
    for (int c = 0; c < chunks; ++c) {
      const float v = chunk_max[c];
      if (held == k && !(v > spare[k - 1])) continue;
      size_t at = held < k ? held++ : k - 1;
      while (at > 0 && spare[at - 1] < v) {
        spare[at] = spare[at - 1];
        --at;
      }
      spare[at] = v;
    }
    floor = spare[k - 1];
  }
  for (int c = 0; c < chunks; ++c) {
    const int base = c * kChunkBlocks * 16;
    FeedChunk(scores + base, static_cast<uint32_t>(base), std::min(kChunkBlocks * 16, rows - base),
              chunk_max[c], floor, top);
  }
}

void TopKTwoPassF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
                    const float* HWY_RESTRICT user, int dim, int blocks, int rows,
                    float* HWY_RESTRICT scores, float* HWY_RESTRICT chunk_max,
                    float* HWY_RESTRICT spare, bool reverse, TopK& top) {
  TopKTwoPass(blocks, rows, scores, chunk_max, spare, reverse, top,
              [&](int first, int count, float* out) {
                return ScoreBlocksF32(table, bias, user, dim, first, count, out);
              });
}

void TopKTwoPassI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
                   const float* HWY_RESTRICT bias, const int32_t* HWY_RESTRICT user_pairs,
                   float user_scale, int pairs, int blocks, int rows, float* HWY_RESTRICT scores,
                   float* HWY_RESTRICT chunk_max, float* HWY_RESTRICT spare, bool reverse,
                   TopK& top) {
  TopKTwoPass(
      blocks, rows, scores, chunk_max, spare, reverse, top, [&](int first, int count, float* out) {
        return ScoreBlocksI8(table, scale, bias, user_pairs, user_scale, pairs, first, count, out);
      });
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
   scratch.spare.data(), scratch.reverse, top);
}

void top_k_two_pass_i8(const int8_t* table, const float* scale, const float* bias,
                       const int32_t* user_pairs, float user_scale, int pairs, int blocks, int rows,
                       TopKScratch& scratch, TopK& top) {
  scratch.reverse = !scratch.reverse;
  HWY_DYNAMIC_DISPATCH(TopKTwoPassI8)
  (table, scale, bias, user_pairs, user_scale, pairs, blocks, rows, scratch.scores.data(),
   scratch.chunk_max.data(), scratch.spare.data(), scratch.reverse, top);
}

void top_k_f32(const float* table, const float* bias, const float* user, int dim, int blocks,
               int rows, TopK& top) {
  HWY_DYNAMIC_DISPATCH(TopKF32)(table, bias, user, dim, blocks, rows, top);
}

void top_k_i8(const int8_t* table, const float* scale, const float* bias, const int32_t* user_pairs,
              float user_scale, int pairs, int blocks, int rows, TopK& top) {
  HWY_DYNAMIC_DISPATCH(TopKI8)
  (table, scale, bias, user_pairs, user_scale, pairs, blocks, rows, top);
}

float score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                       int count, float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksF32)(table, bias, user, dim, first, count, out);
}

float score_blocks_i8(const int8_t* table, const float* scale, const float* bias,
                      const int32_t* user_pairs, float user_scale, int pairs, int first, int count,
                      float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksI8)(table, scale, bias, user_pairs, user_scale, pairs,
                                             first, count, out);
}

std::string simd_target() {
  return hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]);
}

}  // namespace pocketrec::runtime
#endif
