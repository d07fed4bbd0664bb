// Per-target kernels of the prefilter (prefilter.hpp): approximate scores from 8-bit codes, then
// exact scores of the candidate rows with the arithmetic of score_kernels.cpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/prefilter_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "runtime/prefilter.hpp"
#include "runtime/score_kernels.hpp"
#include "runtime/top_k.hpp"
#include "runtime/top_k_feed-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using TagF = hn::CappedTag<float, kPrefilterBlockRows>;
constexpr int kBlocksPerChunk = kPrefilterChunkRows / kPrefilterBlockRows;

// Lower bounds of every row's exact score (approximate score - its error bound) into scores, in
// row order, and each 64-row chunk's maximum into chunk_max. kQuads > 0 fixes the number of quads
// of dimensions at compile time, so the user bytes stay in registers.
template <int kQuads>
void ApproxScores(const PrefilterQuery& q, float* HWY_RESTRICT scores,
                  float* HWY_RESTRICT chunk_max) {
  const TagF df;
  const hn::Rebind<int32_t, TagF> di;
  const size_t n = hn::Lanes(df);
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
  HWY_ALIGN int32_t dots[kPrefilterBlockRows];
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  constexpr int kHeld = kQuads > 0 ? kQuads : 1;
  __m256i held[kHeld];
  for (int j = 0; j < kHeld; ++j) held[j] = _mm256_set1_epi32(static_cast<int>(user_quads[j]));
#endif
  for (int first = 0; first < blocks; first += kBlocksPerChunk) {
    const int last = std::min(blocks, first + kBlocksPerChunk);
    auto best = hn::Set(df, -HUGE_VALF);
    for (int block = first; block < last; ++block) {
      const int8_t* block_codes = codes + static_cast<size_t>(block) * quads * 32;
      const size_t row0 = static_cast<size_t>(block) * kPrefilterBlockRows;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
      // vpmaddubsw multiplies the unsigned user bytes by the signed codes and adds pairs into
      // int16; two quads add in int16 (|sum| <= 4 * 63 * 128) before vpmaddwd by ones widens them
      // into each row's int32.
      __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset + row0));
      const __m256i ones = _mm256_set1_epi16(1);
      auto product = [&](int j) {
        const __m256i user =
            kQuads > 0 ? held[j] : _mm256_set1_epi32(static_cast<int>(user_quads[j]));
        const __m256i c =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block_codes + j * 32));
        return _mm256_maddubs_epi16(user, c);
      };
      int j = 0;
      for (; j + 1 < quads; j += 2) {
        const __m256i pair = _mm256_add_epi16(product(j), product(j + 1));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pair, ones));
      }
      if (j < quads) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(product(j), ones));
      _mm256_store_si256(reinterpret_cast<__m256i*>(dots), acc);
#else
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
#endif
      for (size_t v = 0; v < kPrefilterBlockRows; v += n) {
        const auto s = hn::LoadU(df, scale + row0 + v);
        const auto a = hn::MulAdd(hn::Mul(hn::ConvertTo(df, hn::Load(di, dots + v)), step), s,
                                  hn::LoadU(df, bias + row0 + v));
        const auto error =
            hn::MulAdd(alpha, hn::LoadU(df, l1 + row0 + v), hn::MulAdd(beta, s, rounding));
        const auto low = hn::Sub(a, error);
        hn::StoreU(low, df, scores + row0 + v);
        best = hn::Max(best, low);
      }
    }
    chunk_max[first / kBlocksPerChunk] = hn::GetLane(hn::MaxOfLanes(df, best));
  }
}

// Bit i set where values[i] >= floor (and is finite), for the n <= 64 values of a chunk.
uint64_t AtLeastBits(const float* HWY_RESTRICT values, int n, float floor) {
  const hn::CappedTag<float, 16> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // -inf (a filtered row) never passes, even against a floor of -inf.
  const auto f = hn::Set(d, floor > -HUGE_VALF ? floor : -FLT_MAX);
  uint64_t bits = 0;
  for (int v = 0; v < n; v += lanes) {
    uint8_t bytes[8] = {};
    hn::StoreMaskBits(d, hn::Ge(hn::LoadU(d, values + v), f), bytes);
    bits |= static_cast<uint64_t>(bytes[0] | (static_cast<uint32_t>(bytes[1]) << 8)) << v;
  }
  return n < 64 ? bits & ((uint64_t{1} << n) - 1) : bits;
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

// Exact score of one int8 row as ScoreBlocksI8 computes it: the integer dot product of the int16
// user and the codes (exact in any order), then the same float operations.
float ExactI8(const PrefilterQuery& q, uint32_t r) {
  const int8_t* codes =
      q.codes + (static_cast<size_t>(r / kPrefilterBlockRows) * q.quads * kPrefilterBlockRows +
                 r % kPrefilterBlockRows) *
                    4;
#if HWY_TARGET == HWY_SCALAR
  int32_t dot = 0;
  for (int k = 0; k < q.dim; ++k) {
    dot += q.user16[k] * codes[(k / 4) * kPrefilterBlockRows * 4 + k % 4];
  }
#else
  const hn::CappedTag<int32_t, 8> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const hn::Repartition<int8_t, decltype(d32)> d8;
  const hn::Half<decltype(d8)> d8h;
  const size_t lanes = hn::Lanes(d32);
  HWY_ALIGN int32_t words[8];
  auto sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
  for (int g = 0; g < q.quads; g += static_cast<int>(lanes)) {
    for (size_t j = 0; j < lanes; ++j) {
      words[j] = 0;
      if (g + static_cast<int>(j) < q.quads) {
        std::memcpy(&words[j], codes + (g + j) * kPrefilterBlockRows * 4, 4);
      }
    }
    const auto bytes = hn::BitCast(d8, hn::Load(d32, words));
    const int16_t* user = q.user16 + g * 4;
    sum0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LowerHalf(d8h, bytes)),
                                         hn::LoadU(d16, user), sum0, sum1);
    sum0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::UpperHalf(d8h, bytes)),
                                         hn::LoadU(d16, user + hn::Lanes(d16)), sum0, sum1);
  }
  const int32_t dot = hn::GetLane(hn::SumOfLanes(d32, hn::Add(sum0, sum1)));
#endif
  const hn::CappedTag<float, 1> d1;
  const hn::Rebind<int32_t, decltype(d1)> di1;
  return hn::GetLane(
      hn::MulAdd(hn::Mul(hn::ConvertTo(d1, hn::Set(di1, dot)), hn::Set(d1, q.user16_scale)),
                 hn::Set(d1, q.scale[r]), hn::Set(d1, q.bias[r])));
}

// One pass over lower bounds of the exact scores, then exact scores for the few rows that can
// still win. With low[r] <= exact[r] <= high[r] = low[r] + 2 * error[r]:
//  - kth, the k-th best low, is at most the k-th best exact score, so only rows with
//    high >= kth can be among the k best; floor, the k-th largest chunk maximum, is at most kth,
//    so collecting the rows with low >= floor - 2 * max_error misses none of them;
//  - the k best by low are scored exactly first, and then any other candidate whose high
//    reaches the heap's threshold.
void TopKPrefiltered(const PrefilterQuery& q, float* HWY_RESTRICT scores,
                     float* HWY_RESTRICT chunk_max, float* HWY_RESTRICT spare,
                     Scored* HWY_RESTRICT candidates, TopK& top) {
  const int chunks = (q.rows + kPrefilterChunkRows - 1) / kPrefilterChunkRows;
  if (q.quads == 4) {
    ApproxScores<4>(q, scores, chunk_max);
  } else if (q.quads == 8) {
    ApproxScores<8>(q, scores, chunk_max);
  } else {
    ApproxScores<0>(q, scores, chunk_max);
  }
  const size_t k = top.k();
  if (k == 0) return;
  // Comparisons of bounds computed in float get a margin of a few units in the last place.
  auto margin = [](float a, float b) { return 0x1p-22f * (std::fabs(a) + std::fabs(b)); };
  const float floor = KthLargestChunkMax(chunk_max, chunks, k, spare);
  const float lowest = floor - 2 * q.max_error - margin(floor, 2 * q.max_error);
  size_t count = 0;
  for (int c = 0; c < chunks; ++c) {
    if (!(chunk_max[c] >= lowest) || chunk_max[c] == -HUGE_VALF) continue;
    const int base = c * kPrefilterChunkRows;
    for (uint64_t bits =
             AtLeastBits(scores + base, std::min(kPrefilterChunkRows, q.rows - base), lowest);
         bits; bits &= bits - 1) {
      const auto row = static_cast<uint32_t>(base + std::countr_zero(bits));
      candidates[count++] = {row, scores[row]};
    }
  }
  // Candidates [0, k) become the k best by low (any order), unless there are no more than k.
  const size_t first = std::min(k, count);
  float kth = -HUGE_VALF;
  if (count > k) {
    std::nth_element(candidates, candidates + (k - 1), candidates + count,
                     [](const Scored& a, const Scored& b) { return a.score > b.score; });
    kth = candidates[k - 1].score;
  }
  auto high = [&](const Scored& c) {
    return c.score + 2 * (q.alpha * q.l1[c.item] + q.beta * q.scale[c.item] + q.rounding);
  };
  uint32_t group[8];
  float exact[8];
  int pending = 0;
  auto flush = [&] {
    if (q.rows_f32) {
      ExactF32(q, group, pending, exact);
    } else {
      for (int i = 0; i < pending; ++i) exact[i] = ExactI8(q, group[i]);
    }
    for (int i = 0; i < pending; ++i) top.push(group[i], exact[i]);
    pending = 0;
  };
  for (size_t i = 0; i < count; ++i) {
    if (i >= first) {
      if (i == first && pending > 0) flush();
      const float bar = std::max(kth, top.threshold());
      const float h = high(candidates[i]);
      if (!(h >= bar - margin(bar, h))) continue;
    }
    group[pending++] = candidates[i].item;
    if (pending == 8) flush();
  }
  if (pending > 0) flush();
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(TopKPrefiltered);

void top_k_prefiltered(const PrefilterQuery& query, TopKScratch& scratch, TopK& top) {
  HWY_DYNAMIC_DISPATCH(TopKPrefiltered)
  (query, scratch.scores.data(), scratch.chunk_max.data(), scratch.spare.data(),
   scratch.candidates.data(), top);
}

}  // namespace pocketrec::runtime
#endif
