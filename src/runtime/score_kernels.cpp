// SIMD scoring kernels, compiled once per instruction set with Highway and picked at run time.
// Each block holds 16 rows stored dimension-major, so scoring is one broadcast FMA per dimension
// per vector of rows.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/score_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/score_kernels.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::runtime::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Up to 16 lanes: one block is then 1, 2 or 4 vectors.
using Tag = hn::CappedTag<float, 16>;

void ScoreBlocksF32(const float* HWY_RESTRICT table, const float* HWY_RESTRICT bias,
                    const float* HWY_RESTRICT user, int dim, int first, int count,
                    float* HWY_RESTRICT out) {
  const Tag d;
  const size_t n = hn::Lanes(d);
  for (int b = 0; b < count; ++b) {
    const float* block = table + static_cast<size_t>(first + b) * dim * 16;
    const float* block_bias = bias + static_cast<size_t>(first + b) * 16;
    float* o = out + static_cast<size_t>(b) * 16;
    if (n == 8) {
      auto a0 = hn::LoadU(d, block_bias), a1 = hn::LoadU(d, block_bias + 8);
      for (int k = 0; k < dim; ++k) {
        const auto u = hn::Set(d, user[k]);
        a0 = hn::MulAdd(u, hn::LoadU(d, block + k * 16), a0);
        a1 = hn::MulAdd(u, hn::LoadU(d, block + k * 16 + 8), a1);
      }
      hn::StoreU(a0, d, o);
      hn::StoreU(a1, d, o + 8);
    } else {
      for (size_t v = 0; v < 16; v += n) {
        auto a = hn::LoadU(d, block_bias + v);
        for (int k = 0; k < dim; ++k)
          a = hn::MulAdd(hn::Set(d, user[k]), hn::LoadU(d, block + k * 16 + v), a);
        hn::StoreU(a, d, o + v);
      }
    }
  }
}

void ScoreBlocksI8(const int8_t* HWY_RESTRICT table, const float* HWY_RESTRICT scale,
                   const float* HWY_RESTRICT bias, const float* HWY_RESTRICT user, int dim,
                   int first, int count, float* HWY_RESTRICT out) {
  const Tag d;
  const hn::Rebind<int32_t, Tag> di;
  const hn::Rebind<int8_t, Tag> d8;
  const size_t n = hn::Lanes(d);
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
      hn::StoreU(hn::MulAdd(a, hn::LoadU(d, scale + row0 + v), hn::LoadU(d, bias + row0 + v)), d,
                 o + v);
    }
  }
}

}  // namespace pocketrec::runtime::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::runtime {

HWY_EXPORT(ScoreBlocksF32);
HWY_EXPORT(ScoreBlocksI8);

void score_blocks_f32(const float* table, const float* bias, const float* user, int dim, int first,
                      int count, float* out) {
  HWY_DYNAMIC_DISPATCH(ScoreBlocksF32)(table, bias, user, dim, first, count, out);
}

void score_blocks_i8(const int8_t* table, const float* scale, const float* bias, const float* user,
                     int dim, int first, int count, float* out) {
  HWY_DYNAMIC_DISPATCH(ScoreBlocksI8)(table, scale, bias, user, dim, first, count, out);
}

std::string simd_target() {
  return hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]);
}

}  // namespace pocketrec::runtime
#endif
