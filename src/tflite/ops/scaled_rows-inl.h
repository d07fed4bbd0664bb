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
  for (; j + n <= width; j += n) {
    auto a = hn::LoadU(d, start + j);
    for (int32_t k = 0; k < count; ++k) {
      a = hn::MulAdd(hn::Set(d, v[k]), hn::LoadU(d, rows + static_cast<size_t>(k) * width + j), a);
    }
    hn::StoreU(a, d, out + j);
  }
  for (; j < width; ++j) {
    float a = start[j];
    for (int32_t k = 0; k < count; ++k) a += v[k] * rows[static_cast<size_t>(k) * width + j];
    out[j] = a;
  }
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif
