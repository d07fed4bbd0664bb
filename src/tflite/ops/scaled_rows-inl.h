// Per-target "scaled rows" kernel: a vector plus a matrix-vector product with the matrix stored
// transposed, so each input value scales one contiguous row and every output lane is a plain
// multiply-add chain (no horizontal sums). Shared by the LSTM kernel and, through
// add_scaled_rows (vector_math.hpp), by CONV_2D. Included once per Highway target (toggling
// guard).
#if defined(POCKETREC_TFLITE_SCALED_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef POCKETREC_TFLITE_SCALED_ROWS_INL_H_
#undef POCKETREC_TFLITE_SCALED_ROWS_INL_H_
#else
#define POCKETREC_TFLITE_SCALED_ROWS_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[j] = start[j] + v[0] * rows[j] + v[1] * rows[width + j] + ..., terms added in that order.
// Several vectors of out advance together so their multiply-add chains overlap. out may be start:
// each vector of start is read before the same vector of out is written.
HWY_INLINE void AddScaledRows(const float* start, const float* HWY_RESTRICT v, int32_t count,
                              const float* HWY_RESTRICT rows, size_t width, float* out) {
  const hn::ScalableTag<float> d;
  const size_t n = hn::Lanes(d);
  size_t j = 0;
  // Eight vectors at a time where the width allows: eight independent multiply-add chains keep
  // both FMA pipes busy (with four, each block's loop over count outlasts the reorder window, so
  // the next block cannot start early and the chains' latency shows).
  for (; j + 8 * n <= width; j += 8 * n) {
    auto a0 = hn::LoadU(d, start + j), a1 = hn::LoadU(d, start + j + n);
    auto a2 = hn::LoadU(d, start + j + 2 * n), a3 = hn::LoadU(d, start + j + 3 * n);
    auto a4 = hn::LoadU(d, start + j + 4 * n), a5 = hn::LoadU(d, start + j + 5 * n);
    auto a6 = hn::LoadU(d, start + j + 6 * n), a7 = hn::LoadU(d, start + j + 7 * n);
    for (int32_t k = 0; k < count; ++k) {
      const auto s = hn::Set(d, v[k]);
      const float* r = rows + static_cast<size_t>(k) * width + j;
      a0 = hn::MulAdd(s, hn::LoadU(d, r), a0);
      a1 = hn::MulAdd(s, hn::LoadU(d, r + n), a1);
      a2 = hn::MulAdd(s, hn::LoadU(d, r + 2 * n), a2);
      a3 = hn::MulAdd(s, hn::LoadU(d, r + 3 * n), a3);
      a4 = hn::MulAdd(s, hn::LoadU(d, r + 4 * n), a4);
      a5 = hn::MulAdd(s, hn::LoadU(d, r + 5 * n), a5);
      a6 = hn::MulAdd(s, hn::LoadU(d, r + 6 * n), a6);
      a7 = hn::MulAdd(s, hn::LoadU(d, r + 7 * n), a7);
    }
    hn::StoreU(a0, d, out + j);
    hn::StoreU(a1, d, out + j + n);
    hn::StoreU(a2, d, out + j + 2 * n);
    hn::StoreU(a3, d, out + j + 3 * n);
    hn::StoreU(a4, d, out + j + 4 * n);
    hn::StoreU(a5, d, out + j + 5 * n);
    hn::StoreU(a6, d, out + j + 6 * n);
    hn::StoreU(a7, d, out + j + 7 * n);
  }
  for (; j + 4 * n <= width; j += 4 * n) {
    auto a0 = hn::LoadU(d, start + j), a1 = hn::LoadU(d, start + j + n);
    auto a2 = hn::LoadU(d, start + j + 2 * n), a3 = hn::LoadU(d, start + j + 3 * n);
    for (int32_t k = 0; k < count; ++k) {
      const auto s = hn::Set(d, v[k]);
      const float* r = rows + static_cast<size_t>(k) * width + j;
      a0 = hn::MulAdd(s, hn::LoadU(d, r), a0);
      a1 = hn::MulAdd(s, hn::LoadU(d, r + n), a1);
      a2 = hn::MulAdd(s, hn::LoadU(d, r + 2 * n), a2);
      a3 = hn::MulAdd(s, hn::LoadU(d, r + 3 * n), a3);
    }
    hn::StoreU(a0, d, out + j);
    hn::StoreU(a1, d, out + j + n);
    hn::StoreU(a2, d, out + j + 2 * n);
    hn::StoreU(a3, d, out + j + 3 * n);
  }
  for (; j + 2 * n <= width; j += 2 * n) {
    auto a0 = hn::LoadU(d, start + j), a1 = hn::LoadU(d, start + j + n);
    for (int32_t k = 0; k < count; ++k) {
      const auto s = hn::Set(d, v[k]);
      const float* r = rows + static_cast<size_t>(k) * width + j;
      a0 = hn::MulAdd(s, hn::LoadU(d, r), a0);
      a1 = hn::MulAdd(s, hn::LoadU(d, r + n), a1);
    }
    hn::StoreU(a0, d, out + j);
    hn::StoreU(a1, d, out + j + n);
  }
  for (; j + n <= width; j += n) {
    auto a = hn::LoadU(d, start + j);
    for (int32_t k = 0; k < count; ++k) {
      a = hn::MulAdd(hn::Set(d, v[k]), hn::LoadU(d, rows + static_cast<size_t>(k) * width + j), a);
    }
    hn::StoreU(a, d, out + j);
  }
  // The last lanes one at a time, with the vectors' multiply-add (fused where the target has it).
  const hn::CappedTag<float, 1> d1;
  for (; j < width; ++j) {
    auto a = hn::Set(d1, start[j]);
    for (int32_t k = 0; k < count; ++k) {
      a = hn::MulAdd(hn::Set(d1, v[k]), hn::Set(d1, rows[static_cast<size_t>(k) * width + j]), a);
    }
    out[j] = hn::GetLane(a);
  }
}

// The convolution's sums for P output positions at once. Position p's window starts at input
// position ix0[p]; for each tap kx whose input position lies in [0, w) and each input channel c,
// in that order, out[p * width + j] += x[(ix0[p] + kx) * cin + c] * rows[(kx * cin + c) * width +
// j]: the chain AddScaledRows computes for one position, term for term. The positions share each
// filter row and their chains are independent, so they overlap where one position's few vectors
// (32 output channels: two on AVX-512) would each wait on the latency of their own chain.
template <int P>
HWY_INLINE void AddScaledTaps(const float* HWY_RESTRICT x, const int32_t* ix0, int32_t kw,
                              int32_t w, int32_t cin, const float* HWY_RESTRICT rows, size_t width,
                              float* HWY_RESTRICT out) {
  const float* inputs[P];
  bool inside[P];
  auto window = [&](int32_t kx) {
    bool any = false;
    for (int p = 0; p < P; ++p) {
      const int32_t ix = ix0[p] + kx;
      inside[p] = ix >= 0 && ix < w;
      inputs[p] = inside[p] ? x + static_cast<size_t>(ix) * cin : x;
      any = any || inside[p];
    }
    return any;
  };
  const hn::ScalableTag<float> d;
  const size_t n = hn::Lanes(d);
  size_t j = 0;
#if !HWY_HAVE_SCALABLE  // arrays of sizeless (SVE) vectors are not allowed: lanes one by one below
  for (; j + 2 * n <= width; j += 2 * n) {
    hn::Vec<decltype(d)> a[P][2];
    for (int p = 0; p < P; ++p) {
      a[p][0] = hn::LoadU(d, out + p * width + j);
      a[p][1] = hn::LoadU(d, out + p * width + j + n);
    }
    for (int32_t kx = 0; kx < kw; ++kx) {
      if (!window(kx)) continue;
      for (int32_t c = 0; c < cin; ++c) {
        const float* r = rows + (static_cast<size_t>(kx) * cin + c) * width + j;
        const auto r0 = hn::LoadU(d, r), r1 = hn::LoadU(d, r + n);
        for (int p = 0; p < P; ++p) {
          if (!inside[p]) continue;
          const auto s = hn::Set(d, inputs[p][c]);
          a[p][0] = hn::MulAdd(s, r0, a[p][0]);
          a[p][1] = hn::MulAdd(s, r1, a[p][1]);
        }
      }
    }
    for (int p = 0; p < P; ++p) {
      hn::StoreU(a[p][0], d, out + p * width + j);
      hn::StoreU(a[p][1], d, out + p * width + j + n);
    }
  }
  for (; j + n <= width; j += n) {
    hn::Vec<decltype(d)> a[P];
    for (int p = 0; p < P; ++p) a[p] = hn::LoadU(d, out + p * width + j);
    for (int32_t kx = 0; kx < kw; ++kx) {
      if (!window(kx)) continue;
      for (int32_t c = 0; c < cin; ++c) {
        const auto r = hn::LoadU(d, rows + (static_cast<size_t>(kx) * cin + c) * width + j);
        for (int p = 0; p < P; ++p) {
          if (inside[p]) a[p] = hn::MulAdd(hn::Set(d, inputs[p][c]), r, a[p]);
        }
      }
    }
    for (int p = 0; p < P; ++p) hn::StoreU(a[p], d, out + p * width + j);
  }
#endif
  (void)n;
  const hn::CappedTag<float, 1> d1;
  for (; j < width; ++j) {
    for (int p = 0; p < P; ++p) {
      auto a = hn::Set(d1, out[p * width + j]);
      for (int32_t kx = 0; kx < kw; ++kx) {
        const int32_t ix = ix0[p] + kx;
        if (ix < 0 || ix >= w) continue;
        for (int32_t c = 0; c < cin; ++c) {
          a = hn::MulAdd(hn::Set(d1, x[static_cast<size_t>(ix) * cin + c]),
                         hn::Set(d1, rows[(static_cast<size_t>(kx) * cin + c) * width + j]), a);
        }
      }
      out[p * width + j] = hn::GetLane(a);
    }
  }
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
