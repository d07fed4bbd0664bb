#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tflite/ops/dot_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "tflite/ops/dot_rows.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The scalar target, and sizeless (SVE) vector types, which cannot form the arrays of vectors
// below: the same order, one row at a time.
#if HWY_TARGET == HWY_SCALAR || HWY_HAVE_SCALABLE

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

// [a0 + a1, a2 + a3, b0 + b1, b2 + b3].
HWY_INLINE hn::Vec<D4> PairSums(hn::Vec<D4> a, hn::Vec<D4> b) {
  const D4 d4;
  return hn::Add(hn::ConcatEven(d4, b, a), hn::ConcatOdd(d4, b, a));
}

// The eight partial sums of kRows rows (blocks of eight values, one multiply-add per lane each),
// folded to four lanes: folded[q] lane j holds s_j + s_(j+4) of row q. Each block of x is loaded
// once for all the rows.
template <int kRows>
HWY_INLINE void FoldedPartials(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                               int64_t stride, int64_t blocks_end, hn::Vec<D4>* folded) {
  const D4 d4;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  const hn::Full256<float> d8;
  hn::Vec<decltype(d8)> acc[kRows];
  for (int q = 0; q < kRows; ++q) acc[q] = hn::Zero(d8);
  for (int64_t i = 0; i < blocks_end; i += 8) {
    const auto xv = hn::LoadU(d8, x + i);
    for (int q = 0; q < kRows; ++q)
      acc[q] = hn::MulAdd(xv, hn::LoadU(d8, w + q * stride + i), acc[q]);
  }
  for (int q = 0; q < kRows; ++q) {
    folded[q] = hn::Add(hn::LowerHalf(d4, acc[q]), hn::UpperHalf(d4, acc[q]));
  }
#else
  hn::Vec<D4> lo[kRows], hi[kRows];
  for (int q = 0; q < kRows; ++q) lo[q] = hi[q] = hn::Zero(d4);
  for (int64_t i = 0; i < blocks_end; i += 8) {
    const auto x_lo = hn::LoadU(d4, x + i), x_hi = hn::LoadU(d4, x + i + 4);
    for (int q = 0; q < kRows; ++q) {
      lo[q] = hn::MulAdd(x_lo, hn::LoadU(d4, w + q * stride + i), lo[q]);
      hi[q] = hn::MulAdd(x_hi, hn::LoadU(d4, w + q * stride + i + 4), hi[q]);
    }
  }
  for (int q = 0; q < kRows; ++q) folded[q] = hn::Add(lo[q], hi[q]);
#endif
}

void DotRowsAdd(const float* HWY_RESTRICT x, const float* HWY_RESTRICT w, int64_t stride,
                int64_t rows, int64_t n, float* HWY_RESTRICT out) {
  const D4 d4;
  const int64_t blocks_end = n / 8 * 8;
  // Lane q of the result: ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) of row q.
  auto finish4 = [&](int64_t r, const hn::Vec<D4>* f) {
    const auto totals = PairSums(PairSums(f[0], f[1]), PairSums(f[2], f[3]));
    if (blocks_end == n) {
      hn::StoreU(hn::Add(hn::LoadU(d4, out + r), totals), d4, out + r);
      return;
    }
    HWY_ALIGN float t[4];
    hn::Store(totals, d4, t);
    for (int q = 0; q < 4; ++q) {
      const float* wr = w + (r + q) * stride;
      float total = t[q];
      for (int64_t i = blocks_end; i < n; ++i) total += x[i] * wr[i];
      out[r + q] += total;
    }
  };
  int64_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    hn::Vec<D4> f[8];
    FoldedPartials<8>(x, w + r * stride, stride, blocks_end, f);
    finish4(r, f);
    finish4(r + 4, f + 4);
  }
  for (; r + 4 <= rows; r += 4) {
    hn::Vec<D4> f[4];
    FoldedPartials<4>(x, w + r * stride, stride, blocks_end, f);
    finish4(r, f);
  }
  for (; r < rows; ++r) {
    hn::Vec<D4> f[1];
    FoldedPartials<1>(x, w + r * stride, stride, blocks_end, f);
    HWY_ALIGN float s[4];
    hn::Store(f[0], d4, s);
    const float* wr = w + r * stride;
    float total = (s[0] + s[1]) + (s[2] + s[3]);
    for (int64_t i = blocks_end; i < n; ++i) total += x[i] * wr[i];
    out[r] += total;
  }
}

#endif

// Whether this target gains from the paired layout: 16-float vectors (AVX-512).
bool PairsHelp() {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  return true;
#else
  return false;
#endif
}

void DotRowsAddPaired(const float* HWY_RESTRICT x, const float* HWY_RESTRICT paired, int64_t rows,
                      int64_t n, float* HWY_RESTRICT out) {
  const int64_t blocks = n / 8;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // Eight rows at a time, as dot_rows_add: each vector holds two rows' partial sums s0..s7 and
  // t0..t7, accumulated block by block from zero; folding adds the 128-bit halves of each row
  // (s_j + s_(j+4)), and the four-row reductions follow as there.
  const D4 d4;
  for (int64_t r = 0; r < rows; r += 8) {
    const float* p = paired + r * n;
    __m512 acc[4];
    for (int i = 0; i < 4; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b) {
      const __m512 xv = _mm512_broadcast_f32x8(_mm256_loadu_ps(x + 8 * b));
      for (int i = 0; i < 4; ++i) {
        acc[i] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(p + (i * blocks + b) * 16), acc[i]);
      }
    }
    hn::Vec<D4> f[8];
    for (int i = 0; i < 4; ++i) {
      const __m512 halves =
          _mm512_add_ps(acc[i], _mm512_shuffle_f32x4(acc[i], acc[i], _MM_SHUFFLE(2, 3, 0, 1)));
      f[2 * i] = hn::Vec<D4>{_mm512_castps512_ps128(halves)};
      f[2 * i + 1] = hn::Vec<D4>{_mm512_extractf32x4_ps(halves, 2)};
    }
    for (int half = 0; half < 2; ++half) {
      const hn::Vec<D4>* g = f + 4 * half;
      const auto totals = PairSums(PairSums(g[0], g[1]), PairSums(g[2], g[3]));
      float* o = out + r + 4 * half;
      hn::StoreU(hn::Add(hn::LoadU(d4, o), totals), d4, o);
    }
  }
#else
  // Where the paired layout does not help (callers then keep dot_rows_add): the rows unpacked
  // eight at a time, then dot_rows_add's kernel.
  float unpacked[8 * 512];
  for (int64_t r = 0; r < rows; r += 8) {
    for (int64_t q = 0; q < 8; ++q) {
      const int64_t row = r + q;
      for (int64_t b = 0; b < blocks; ++b) {
        const float* block = paired + ((row / 2) * blocks + b) * 16 + (row % 2) * 8;
        for (int k = 0; k < 8; ++k) unpacked[q * n + 8 * b + k] = block[k];
      }
    }
    DotRowsAdd(x, unpacked, n, 8, n, out + r);
  }
#endif
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::tfl {

HWY_EXPORT(DotRowsAdd);
HWY_EXPORT(DotRowsAddPaired);
HWY_EXPORT(PairsHelp);

void dot_rows_add(const float* x, const float* w, int64_t stride, int64_t rows, int64_t n,
                  float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsAdd)(x, w, stride, rows, n, out);
}

std::vector<float> pair_rows(const float* w, int64_t stride, int64_t rows, int64_t n) {
  std::vector<float> paired;
  if (rows % 8 != 0 || n % 8 != 0 || n < 8 || n > 512) return paired;
  const int64_t blocks = n / 8;
  paired.resize(static_cast<size_t>(rows * n));
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t b = 0; b < blocks; ++b) {
      float* block = paired.data() + ((row / 2) * blocks + b) * 16 + (row % 2) * 8;
      for (int k = 0; k < 8; ++k) block[k] = w[row * stride + 8 * b + k];
    }
  }
  return paired;
}

bool paired_rows_help() {
  return HWY_DYNAMIC_DISPATCH(PairsHelp)();
}

void dot_rows_add_paired(const float* x, const float* paired, int64_t rows, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsAddPaired)(x, paired, rows, n, out);
}

}  // namespace pocketrec::tfl
#endif
