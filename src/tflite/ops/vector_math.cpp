#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tflite/ops/vector_math.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "tflite/ops/activations-inl.h"
#include "tflite/ops/scaled_rows-inl.h"
#include "tflite/ops/vector_math.hpp"

HWY_BEFORE_NAMESPACE();
namespace pocketrec::tfl::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Applies f to whole vectors, then to a zero-padded last vector (no reads past the end).
template <class F>
void Apply(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n, F f) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    HWY_ALIGN float tail[hn::MaxLanes(d)] = {};
    for (size_t j = i; j < n; ++j) tail[j - i] = x[j];
    hn::Store(f(d, hn::Load(d, tail)), d, tail);
    for (size_t j = i; j < n; ++j) y[j] = tail[j - i];
  }
}

void SigmoidArray(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n) {
  Apply(x, y, n, [](auto d, auto v) { return SigmoidOf(d, v); });
}

void TanhArray(const float* HWY_RESTRICT x, float* HWY_RESTRICT y, size_t n) {
  Apply(x, y, n, [](auto d, auto v) { return TanhOf(d, v); });
}

void AddScaledRowsArray(const float* start, const float* v, int32_t count, const float* rows,
                        size_t width, float* out) {
  AddScaledRows(start, v, count, rows, width, out);
}

void AddScaledTapsArray(const float* x, const int32_t* ix0, int32_t positions, int32_t kw,
                        int32_t w, int32_t cin, const float* rows, size_t width, float* out) {
  for (int32_t first = 0; first < positions; first += 4) {
    const int32_t* starts = ix0 + first;
    float* group = out + static_cast<size_t>(first) * width;
    const int32_t count = std::min<int32_t>(4, positions - first);
    if (count == 1 || HWY_HAVE_SCALABLE) {
      // One position alone: its taps inside the input are one run, whose chains AddScaledRows
      // spreads over more vectors.
      for (int32_t p = 0; p < count; ++p) {
        const int32_t lo = std::max(0, -starts[p]), hi = std::min(kw, w - starts[p]);
        if (lo >= hi) continue;
        float* o = group + static_cast<size_t>(p) * width;
        AddScaledRows(o, x + static_cast<size_t>(starts[p] + lo) * cin, (hi - lo) * cin,
                      rows + static_cast<size_t>(lo) * cin * width, width, o);
      }
      continue;
    }
    switch (count) {
      case 2:
        AddScaledTaps<2>(x, starts, kw, w, cin, rows, width, group);
        break;
      case 3:
        AddScaledTaps<3>(x, starts, kw, w, cin, rows, width, group);
        break;
      default:
        AddScaledTaps<4>(x, starts, kw, w, cin, rows, width, group);
        break;
    }
  }
}

}  // namespace pocketrec::tfl::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace pocketrec::tfl {

HWY_EXPORT(SigmoidArray);
HWY_EXPORT(TanhArray);
HWY_EXPORT(AddScaledRowsArray);
HWY_EXPORT(AddScaledTapsArray);

void sigmoid_array(const float* x, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(SigmoidArray)(x, y, n);
}

void tanh_array(const float* x, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(TanhArray)(x, y, n);
}

void add_scaled_rows(const float* start, const float* v, int32_t count, const float* rows,
                     size_t width, float* out) {
  HWY_DYNAMIC_DISPATCH(AddScaledRowsArray)(start, v, count, rows, width, out);
}

void add_scaled_taps(const float* x, const int32_t* ix0, int32_t positions, int32_t kw, int32_t w,
                     int32_t cin, const float* rows, size_t width, float* out) {
  HWY_DYNAMIC_DISPATCH(AddScaledTapsArray)(x, ix0, positions, kw, w, cin, rows, width, out);
}

}  // namespace pocketrec::tfl
#endif
