#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tflite/ops/dot_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "tflite/ops/dot_rows.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR

void DotRowsAdd(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w, int64_t stride,
                int64_t rows, int64_t n, float* HWY_RESTRICT out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* wr = w + r * stride;
    float s[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int j = 0; j < 8; ++j) s[j] += x[i + j] * wr[i + j];
    }
    float total = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; ++i) total += x[i] * wr[i];
    out[r] += total;
  }
}

#else

using D4 = hn::Full128<float>;

// The eight partial sums of one row, folded to four: lane j holds s_j + s_(j+4).
HWY_INLINE hn::Vec<D4> FoldedPartials(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                                      int64_t blocks_end) {
  const D4 d4;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const hn::Full256<float> d8;
  auto acc = hn::Zero(d8);
  for (int64_t i = 0; i < blocks_end; i += 8) {
    acc = hn::MulAdd(hn::LoadU(d8, x + i), hn::LoadU(d8, w + i), acc);
  }
  return hn::Add(hn::LowerHalf(d4, acc), hn::UpperHalf(d4, acc));
#else
  auto lo = hn::Zero(d4), hi = hn::Zero(d4);
  for (int64_t i = 0; i < blocks_end; i += 8) {
    lo = hn::MulAdd(hn::LoadU(d4, x + i), hn::LoadU(d4, w + i), lo);
    hi = hn::MulAdd(hn::LoadU(d4, x + i + 4), hn::LoadU(d4, w + i + 4), hi);
  }
  return hn::Add(lo, hi);
#endif
}

// [a0 + a1, a2 + a3, b0 + b1, b2 + b3].
HWY_INLINE hn::Vec<D4> PairSums(hn::Vec<D4> a, hn::Vec<D4> b) {
  const D4 d4;
  return hn::Add(hn::ConcatEven(d4, b, a), hn::ConcatOdd(d4, b, a));
}

void DotRowsAdd(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w, int64_t stride,
                int64_t rows, int64_t n, float* HWY_RESTRICT out) {
  const D4 d4;
  const int64_t blocks_end = n / 8 * 8;
  auto finish = [&](int64_t r, float total) {
    const float* wr = w + r * stride;
    for (int64_t i = blocks_end; i < n; ++i) total += x[i] * wr[i];
    out[r] += total;
  };
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const auto f0 = FoldedPartials(x, w + r * stride, blocks_end);
    const auto f1 = FoldedPartials(x, w + (r + 1) * stride, blocks_end);
    const auto f2 = FoldedPartials(x, w + (r + 2) * stride, blocks_end);
    const auto f3 = FoldedPartials(x, w + (r + 3) * stride, blocks_end);
    // Lane q: ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) of row r + q.
    const auto totals = PairSums(PairSums(f0, f1), PairSums(f2, f3));
    if (blocks_end == n) {
      hn::StoreU(hn::Add(hn::LoadU(d4, out + r), totals), d4, out + r);
    } else {
      HWY_ALIGN float t[4];
      hn::Store(totals, d4, t);
      for (int q = 0; q < 4; ++q) finish(r + q, t[q]);
    }
  }
  for (; r < rows; ++r) {
    HWY_ALIGN float s[4];
    hn::Store(FoldedPartials(x, w + r * stride, blocks_end), d4, s);
    finish(r, (s[0] + s[1]) + (s[2] + s[3]));
  }
}

#endif

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::tfl {

HWY_EXPORT(DotRowsAdd);

void dot_rows_add(const float* x, const float* w, int64_t stride, int64_t rows, int64_t n,
                  float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsAdd)(x, w, stride, rows, n, out);
}

}  // namespace pocketrec::tfl
#endif
