// SIMD scoring kernels, compiled once per instruction set with Highway and picked at run time.
// Each block holds 16 rows stored dimension-major, so scoring is one broadcast FMA per dimension
// per vector of rows.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/score_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cmath>

#include "runtime/score_kernels.hpp"

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

float ScoreBlocksI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
                    const float* HWY_RESTRICT bias, const float* HWY_RESTRICT user, int dim,
                    int first, int count, float* HWY_RESTRICT out) {
  const Tag d;
  const hn::Rebind<int32_t, Tag> di;
  const hn::Rebind<int8_t, Tag> d8;
  const size_t n = hn::Lanes(d);
  auto best = hn::Set(d, -HUGE_VALF);
  for (int b = 0; b < count; ++b) {
    const int8_t* block = table + static_cast<size_t>(first + b) * dim * 16;
    const size_t row0 = static_cast<size_t>(first + b) * 16;
    float* o = out + static_cast<size_t>(b) * 16;
    for (size_t v = 0; v < 16; v += n) {
      auto a = hn::Zero(d);
      for (int k = 0; k < dim; ++k) {
        const auto q = hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(d8, block + k * 16 + v)));
        a = hn::MulAdd(hn::Set(d, user[k]), q, a);
      }
      const auto scored =
          hn::MulAdd(a, hn::LoadU(d, scale + row0 + v), hn::LoadU(d, bias + row0 + v));
      hn::StoreU(scored, d, o + v);
      best = hn::Max(best, scored);
    }
  }
  return hn::GetLane(hn::MaxOfLanes(d, best));
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(ScoreBlocksF32);
HWY_EXPORT(ScoreBlocksI8);

float score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                       int count, float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksF32)(table, bias, user, dim, first, count, out);
}

float score_blocks_i8(const int8_t* table, const float* scale, const float* bias, const float* user,
                      int dim, int first, int count, float* out) {
  return HWY_DYNAMIC_DISPATCH(ScoreBlocksI8)(table, scale, bias, user, dim, first, count, out);
}

std::string simd_target() {
  return hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]);
}

}  // namespace pocketrec::runtime
#endif
