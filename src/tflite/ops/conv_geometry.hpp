#pragma once
// Output size and padding of a strided window along one dimension (TFLite's SAME/VALID rules: SAME
// gives ceil(in / stride) outputs with the odd padding cell after).
#include <algorithm>
#include <cstdint>

namespace pocketrec::tfl {

struct WindowGeometry {
  int32_t out = 0, pad_before = 0;
};

inline WindowGeometry window_geometry(bool same, int32_t in, int32_t kernel, int32_t stride,
                                      int32_t dilation) {
  const int32_t effective = (kernel - 1) * dilation + 1;
  WindowGeometry g;
  if (same) {
    g.out = (in + stride - 1) / stride;
    int32_t total = std::max((g.out - 1) * stride + effective - in, 0);
    g.pad_before = total / 2;
  } else {
    g.out = in >= effective ? (in - effective) / stride + 1 : 0;
  }
  return g;
}

}  // namespace pocketrec::tfl
