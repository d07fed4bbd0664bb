// Per-target kernels of the prefilter (prefilter.hpp): approximate scores from 8-bit codes, then
// exact scores of the candidate rows with the arithmetic of score_kernels.cpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/prefilter_kernels.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "runtime/prefilter.hpp"
#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"
#include "runtime/top_k_feed-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using TagF = hn::CappedTag<float, kPrefilterBlockRows>;
constexpr int kBlocksPerChunk = kPrefilterChunkRows / kPrefilterBlockRows;

// Bounds of every row's exact score, approximate score -/+ its error bound, into low and high (in
// row order), and each 64-row chunk's maxima into low_max and high_max. kQuads > 0 fixes the number
// of quads of dimensions at compile time, so the user bytes stay in registers.
template <int kQuads>
void ApproxScores(const PrefilterQuery& q, float* HWY_RESTRICT low, float* HWY_RESTRICT high,
                  float* HWY_RESTRICT low_max, float* HWY_RESTRICT high_max) {
  const TagF df;
  const hn::Rebind<int32_t, TagF> di;
  const auto step = hn::Set(df, q.user_step);
  const int quads = kQuads > 0 ? kQuads : q.quads, blocks = q.blocks;
  const int8_t* HWY_RESTRICT codes = q.codes;
  const int32_t* HWY_RESTRICT offset = q.offset;
  const float* HWY_RESTRICT scale = q.scale;
  const float* HWY_RESTRICT bias = q.bias;
  const float* HWY_RESTRICT l1 = q.l1;
  const auto alpha = hn::Set(df, q.alpha), beta = hn::Set(df, q.beta),
             rounding = hn::Set(df, q.rounding);
  const uint32_t* HWY_RESTRICT user_quads = q.user_quads;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  constexpr int kHeld = kQuads > 0 ? kQuads : 1;
  __m256i held[kHeld];
  for (int j = 0; j < kHeld; ++j) held[j] = _mm256_set1_epi32(static_cast<int>(user_quads[j]));
#endif
  for (int first = 0; first < blocks; first += kBlocksPerChunk) {
    const int last = std::min(blocks, first + kBlocksPerChunk);
    auto best_low = hn::Set(df, -HUGE_VALF), best_high = best_low;
    // Rows [row, row + n): the float score from the integer dot products, and its bounds.
    auto finish = [&](size_t row, hn::Vec<decltype(di)> dot) {
      const auto s = hn::LoadU(df, scale + row);
      const auto a =
          hn::MulAdd(hn::Mul(hn::ConvertTo(df, dot), step), s, hn::LoadU(df, bias + row));
      const auto error = hn::MulAdd(alpha, hn::LoadU(df, l1 + row), hn::MulAdd(beta, s, rounding));
      const auto lo = hn::Sub(a, error), hi = hn::Add(a, error);
      hn::StoreU(lo, df, low + row);
      hn::StoreU(hi, df, high + row);
      best_low = hn::Max(best_low, lo);
      best_high = hn::Max(best_high, hi);
    };
    for (int block = first; block < last; ++block) {
      const int8_t* block_codes = codes + static_cast<size_t>(block) * quads * 32;
      const size_t row0 = static_cast<size_t>(block) * kPrefilterBlockRows;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
      // vpmaddubsw multiplies the unsigned user bytes by the signed codes and adds pairs into
      // int16 (|sum| <= 2 * 127 * 128); vpmaddwd by ones adds those into each row's int32.
      __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset + row0));
      const __m256i ones = _mm256_set1_epi16(1);
      auto product = [&](int j) {
        const __m256i user =
            kQuads > 0 ? held[j] : _mm256_set1_epi32(static_cast<int>(user_quads[j]));
        const __m256i c =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block_codes + j * 32));
        return _mm256_maddubs_epi16(user, c);
      };
      for (int j = 0; j < quads; ++j) {
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(product(j), ones));
      }
      finish(row0, hn::Vec<decltype(di)>{acc});  // 8 lanes on these targets
#else
      HWY_ALIGN int32_t dots[kPrefilterBlockRows];
      for (int lane = 0; lane < kPrefilterBlockRows; ++lane) {
        int32_t sum = offset[row0 + lane];
        for (int j = 0; j < quads; ++j) {
          for (int byte = 0; byte < 4; ++byte) {
            const auto user = static_cast<int32_t>((user_quads[j] >> (8 * byte)) & 0xff);
            sum += user * block_codes[(j * kPrefilterBlockRows + lane) * 4 + byte];
          }
        }
        dots[lane] = sum;
      }
      for (size_t v = 0; v < kPrefilterBlockRows; v += hn::Lanes(df)) {
        finish(row0 + v, hn::Load(di, dots + v));
      }
#endif
    }
    low_max[first / kBlocksPerChunk] = hn::GetLane(hn::MaxOfLanes(df, best_low));
    high_max[first / kBlocksPerChunk] = hn::GetLane(hn::MaxOfLanes(df, best_high));
  }
}

// Exact scores of float rows[0, count) (count <= 8): per row the chain of ScoreBlocksF32 (bias,
// then one MulAdd per dimension in order) on one lane, so the bits match; eight rows interleaved
// hide the latency of the chain.
void ExactF32(const PrefilterQuery& q, const uint32_t* rows, int count, float* out) {
  const hn::CappedTag<float, 1> d1;
  const float* row[8];
  hn::Vec<decltype(d1)> a[8];
  for (int i = 0; i < 8; ++i) {
    const uint32_t r = rows[std::min(i, count - 1)];
    row[i] = q.rows_f32 + static_cast<size_t>(r) * q.dim;
    a[i] = hn::Set(d1, q.bias[r]);
  }
  for (int k = 0; k < q.dim; ++k) {
    const auto u = hn::Set(d1, q.user[k]);
    for (int i = 0; i < 8; ++i) a[i] = hn::MulAdd(u, hn::Set(d1, row[i][k]), a[i]);
  }
  for (int i = 0; i < count; ++i) out[i] = hn::GetLane(a[i]);
}

// One pass computes bounds low[r] <= exact[r] <= high[r] for every row; then
//  - floor, the k-th largest chunk maximum of low, is at most kth, the k-th best low; collecting
//    the rows with low >= floor and selecting among them gives kth exactly;
//  - kth is at most the k-th best exact score (k rows have exact >= low >= kth), so only rows with
//    high >= kth can be among the k best: those alone are scored exactly, with the full
//    kernel's arithmetic, and offered to the heap (skipping any whose high falls below the heap's
//    threshold once it is full).
int TopKPrefiltered(const PrefilterQuery& q, float* HWY_RESTRICT low, float* HWY_RESTRICT high,
                    float* HWY_RESTRICT low_max, float* HWY_RESTRICT high_max,
                    float* HWY_RESTRICT spare, Scored* HWY_RESTRICT candidates, TopK& top) {
  const int chunks = (q.rows + kPrefilterChunkRows - 1) / kPrefilterChunkRows;
  if (q.quads == 4) {
    ApproxScores<4>(q, low, high, low_max, high_max);
  } else if (q.quads == 8) {
    ApproxScores<8>(q, low, high, low_max, high_max);
  } else {
    ApproxScores<0>(q, low, high, low_max, high_max);
  }
  const size_t k = top.k();
  if (k == 0) return 0;
  // Calls visit(row) for each row whose value reaches `at_least`, in row order.
  auto for_each_row = [&](const float* values, const float* chunk_max, float at_least,
                          const auto& visit) {
    for (int c = 0; c < chunks; ++c) {
      if (!(chunk_max[c] >= at_least) || chunk_max[c] == -HUGE_VALF) continue;
      const int base = c * kPrefilterChunkRows;
      for (uint64_t bits =
               AtLeastBits(values + base, std::min(kPrefilterChunkRows, q.rows - base), at_least);
           bits; bits &= bits - 1) {
        visit(static_cast<uint32_t>(base + std::countr_zero(bits)));
      }
    }
  };
  size_t count = 0;
  const float floor = KthLargestChunkMax(low_max, chunks, k, spare);
  for_each_row(low, low_max, floor, [&](uint32_t row) { candidates[count++] = {row, low[row]}; });
  // With fewer than k such rows, floor is -inf and every finite row is a candidate.
  float kth = -HUGE_VALF;
  if (count >= k) {
    std::nth_element(candidates, candidates + (k - 1), candidates + count,
                     [](const Scored& a, const Scored& b) { return a.score > b.score; });
    kth = candidates[k - 1].score;
  }
  // Bounds computed in float are compared with a margin of a few units in the last place.
  auto reaches = [](float bound, float threshold) {
    return bound >= threshold - 0x1p-22f * (std::fabs(bound) + std::fabs(threshold));
  };
  const float bar = kth == -HUGE_VALF ? kth : kth - 0x1p-21f * std::fabs(kth);
  uint32_t group[8];
  float exact[8];
  int pending = 0, scored = 0;
  auto flush = [&] {
    scored += pending;
    ExactF32(q, group, pending, exact);
    for (int i = 0; i < pending; ++i) top.push(group[i], exact[i]);
    pending = 0;
  };
  for_each_row(high, high_max, bar, [&](uint32_t row) {
    if (!reaches(high[row], std::max(kth, top.threshold()))) return;
    // The row-major rows are not streamed by the approximate pass: fetch the row's lines while
    // the rest of the group is found.
    const float* values = q.rows_f32 + static_cast<size_t>(row) * q.dim;
    for (int b = 0; b < q.dim; b += 16) hwy::Prefetch(values + b);
    group[pending++] = row;
    if (pending == 8) flush();
  });
  if (pending > 0) flush();
  return scored;
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(TopKPrefiltered);

int top_k_prefiltered(const PrefilterQuery& query, TopKScratch& scratch, TopK& top) {
  return HWY_DYNAMIC_DISPATCH(TopKPrefiltered)(
      query, scratch.scores.data(), scratch.high.data(), scratch.chunk_max.data(),
      scratch.high_max.data(), scratch.spare.data(), scratch.candidates.data(), top);
}

}  // namespace pocketrec::runtime
#endif
