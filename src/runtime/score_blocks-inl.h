// Per-target block kernels shared by score_kernels.cpp and prefilter_kernels.cpp: a block holds 16
// rows stored dimension-major, so scoring is one broadcast FMA (or integer multiply-add) per
// dimension per vector of rows. Included once per Highway target (toggling guard).
#if defined(POCKETREC_RUNTIME_SCORE_BLOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef POCKETREC_RUNTIME_SCORE_BLOCKS_INL_H_
#undef POCKETREC_RUNTIME_SCORE_BLOCKS_INL_H_
#else
#define POCKETREC_RUNTIME_SCORE_BLOCKS_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "runtime/score_kernels.hpp"
#include "runtime/vnni.hpp"

HWY_BEFORE_NAMESPACE();
#if HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL
POCKETREC_TARGET_VNNI
#endif
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Up to 16 lanes: one block is then 1, 2 or 4 vectors. (On AVX-512 a block's one 16-lane chain
// per dimension measured faster than 8-lane vectors with eight chains over four blocks, or four
// blocks' 16-lane chains interleaved: the out-of-order core overlaps the blocks by itself.)
using Tag = hn::CappedTag<float, 16>;

// Scores blocks [first, first + count) into out; returns the largest score written. Four blocks
// are scored together so eight (AVX2) independent FMA chains hide the FMA latency.
inline float ScoreBlocksF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
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

// int8 rows (Int8Scoring: [block][quad][16 rows][4]) against the int16-quantized user: the
// integer dot product is exact in int32, whatever the order of its sums, so every target returns
// the same bits. With AVX-512 VNNI, vpdpbusd multiplies four unsigned bytes by four signed bytes
// and adds them into an int32 lane: once with the user's low bytes, once with its high bytes
// (offset by +128, taken back through the row's sum). Elsewhere the rows are widened to int16
// and multiplied in pairs (vpmaddwd on x86), a quad's two pair sums added at the end.
inline float ScoreBlocksI8(const Int8Scoring& x, int first, int count, float* HWY_RESTRICT out) {
  const int8_t* HWY_RESTRICT table = x.table;
  const float* HWY_RESTRICT scale = x.scale;
  const float* HWY_RESTRICT bias = x.bias;
  const Int8User& user = *x.user;
  const int quads = x.quads;
  const size_t block_bytes = static_cast<size_t>(quads) * 64;
#if HWY_TARGET == HWY_SCALAR
  // The same integer dot product, row by row, and the same float operations on one lane.
  const hn::Sisd<float> d1;
  const hn::Sisd<int32_t> di1;
  float best = -HUGE_VALF;
  for (int b = 0; b < count; ++b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * block_bytes;
    for (int lane = 0; lane < 16; ++lane) {
      int32_t dot = 0;
      for (int j = 0; j < quads; ++j) {
        for (int k = 0; k < 4; ++k) dot += user.values[j * 4 + k] * block[(j * 16 + lane) * 4 + k];
      }
      const size_t row = static_cast<size_t>(first + b) * 16 + lane;
      const float scored = hn::GetLane(
          hn::MulAdd(hn::Mul(hn::ConvertTo(d1, hn::Set(di1, dot)), hn::Set(d1, user.scale)),
                     hn::Set(d1, scale[row]), hn::Set(d1, bias[row])));
      out[static_cast<size_t>(b) * 16 + lane] = scored;
      best = std::max(best, scored);
    }
  }
  return best;
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX3_DL && POCKETREC_AVX3_DL_VNNI
  const hn::Full512<float> df;
  auto best = hn::Set(df, -HUGE_VALF);
  // kBlocks blocks at a time: 2 * kBlocks independent chains hide vpdpbusd's latency.
  auto score = [&]<int kBlocks>(int b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * block_bytes;
    __m512i low[kBlocks], high[kBlocks];
    for (int i = 0; i < kBlocks; ++i) low[i] = high[i] = _mm512_setzero_si512();
    for (int j = 0; j < quads; ++j) {
      const __m512i user_low = _mm512_set1_epi32(static_cast<int>(user.low_bytes[j]));
      const __m512i user_high = _mm512_set1_epi32(static_cast<int>(user.high_bytes[j]));
      for (int i = 0; i < kBlocks; ++i) {
        const __m512i rows = _mm512_loadu_si512(block + i * block_bytes + j * 64);
        low[i] = _mm512_dpbusd_epi32(low[i], user_low, rows);
        high[i] = _mm512_dpbusd_epi32(high[i], user_high, rows);
      }
    }
    for (int i = 0; i < kBlocks; ++i) {
      const size_t row0 = static_cast<size_t>(first + b + i) * 16;
      // dot = 256 * (high - 128 * sum) + low; int32 arithmetic wraps, and the result fits.
      const __m512i sums = _mm512_loadu_si512(x.row_sums + row0);
      const __m512i dot = _mm512_sub_epi32(_mm512_add_epi32(_mm512_slli_epi32(high[i], 8), low[i]),
                                           _mm512_slli_epi32(sums, 15));
      const auto scored =
          hn::MulAdd(hn::Mul(hn::ConvertTo(df, hn::Vec512<int32_t>{dot}), hn::Set(df, user.scale)),
                     hn::LoadU(df, scale + row0), hn::LoadU(df, bias + row0));
      hn::StoreU(scored, df, out + static_cast<size_t>(b + i) * 16);
      best = hn::Max(best, scored);
    }
  };
  int b = 0;
  for (; b + 4 <= count; b += 4) score.template operator()<4>(b);
  for (; b < count; ++b) score.template operator()<1>(b);
  return hn::GetLane(hn::MaxOfLanes(df, best));
#else
  const hn::CappedTag<int32_t, 8> d32;
  const hn::Repartition<int16_t, decltype(d32)> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::Repartition<int64_t, decltype(d32)> d64;
  const hn::Rebind<float, decltype(d32)> df;
  const size_t n = hn::Lanes(d32);  // rows per pass: two vectors of n / 2 rows x 4 dimensions
  auto best = hn::Set(df, -HUGE_VALF);
  for (int b = 0; b < count; ++b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * block_bytes;
    const size_t row0 = static_cast<size_t>(first + b) * 16;
    for (size_t v = 0; v < 16; v += n) {
      auto lo0 = hn::Zero(d32), lo1 = hn::Zero(d32), hi0 = hn::Zero(d32), hi1 = hn::Zero(d32);
      for (int j = 0; j < quads; ++j) {
        uint64_t quad;
        std::memcpy(&quad, user.values + j * 4, sizeof(quad));
        const auto u = hn::BitCast(d16, hn::Set(d64, static_cast<int64_t>(quad)));
        const int8_t* rows = block + j * 64 + v * 4;
        lo0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, rows)), u, lo0,
                                            lo1);
        hi0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, rows + 2 * n)), u,
                                            hi0, hi1);
      }
      // Lane i of each sum holds the pair of dimensions i % 2 of row i / 2.
      const auto lo = hn::RearrangeToOddPlusEven(lo0, lo1);
      const auto hi = hn::RearrangeToOddPlusEven(hi0, hi1);
      const auto dot = hn::Add(hn::ConcatEven(d32, hi, lo), hn::ConcatOdd(d32, hi, lo));
      const auto scored =
          hn::MulAdd(hn::Mul(hn::ConvertTo(df, dot), hn::Set(df, user.scale)),
                     hn::LoadU(df, scale + row0 + v), hn::LoadU(df, bias + row0 + v));
      hn::StoreU(scored, df, out + static_cast<size_t>(b) * 16 + v);
      best = hn::Max(best, scored);
    }
  }
  return hn::GetLane(hn::MaxOfLanes(df, best));
#endif
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggling include guard
