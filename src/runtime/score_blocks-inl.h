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

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Up to 16 lanes: one block is then 1, 2 or 4 vectors.
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

// int8 rows against an int16-quantized user vector: pairs of dimensions are multiplied and
// summed in one integer instruction (vpmaddwd on x86), so a vector of rows costs a widen, a
// multiply-add and an add per two dimensions. Layout per block: [pair][16 rows][2].
// user_pairs[p] packs the int16 user values of dimensions 2p and 2p + 1.
inline float ScoreBlocksI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
                           const float* HWY_RESTRICT bias, const int32_t* HWY_RESTRICT user_pairs,
                           float user_scale, int pairs, int first, int count,
                           float* HWY_RESTRICT out) {
#if HWY_TARGET == HWY_SCALAR
  // One lane cannot hold a pair of int16: the same integer dot product, row by row, and the same
  // float operations on one lane.
  const hn::Sisd<float> d1;
  const hn::Sisd<int32_t> di1;
  float best = -HUGE_VALF;
  for (int b = 0; b < count; ++b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * pairs * 32;
    for (int lane = 0; lane < 16; ++lane) {
      int32_t dot = 0;
      for (int p = 0; p < pairs; ++p) {
        const auto pair = static_cast<uint32_t>(user_pairs[p]);
        const int8_t* w = block + (p * 16 + lane) * 2;
        dot += static_cast<int16_t>(pair & 0xffff) * w[0] + static_cast<int16_t>(pair >> 16) * w[1];
      }
      const size_t row = static_cast<size_t>(first + b) * 16 + lane;
      const float scored = hn::GetLane(
          hn::MulAdd(hn::Mul(hn::ConvertTo(d1, hn::Set(di1, dot)), hn::Set(d1, user_scale)),
                     hn::Set(d1, scale[row]), hn::Set(d1, bias[row])));
      out[static_cast<size_t>(b) * 16 + lane] = scored;
      best = std::max(best, scored);
    }
  }
  return best;
#else
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
#endif
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // toggling include guard
