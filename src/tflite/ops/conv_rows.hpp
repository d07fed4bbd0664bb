#pragma once
// The undilated CONV_2D of one image, on a filter transposed to [KH][KW][Cin][Cout]: each input
// value scales one row of output channels (add_scaled_taps, several output positions at a time).
// The operator and the runtime's fused CNN encoder both call it, so they give the same bits.
#include <cstdint>

#include "tflite/ops/conv_geometry.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {

struct ConvShape {
  int32_t h = 0, w = 0, cin = 0, cout = 0, kh = 0, kw = 0;
  int32_t stride_h = 1, stride_w = 1, dilation_h = 1;
  WindowGeometry gh, gw;
};

// filter [Cout][KH][KW][Cin] -> packed [KH][KW][Cin][Cout].
void pack_conv_filter(const float* filter, const ConvShape& s, float* packed);
// y [gh.out][gw.out][Cout] = act(bias + conv(x [H][W][Cin])); bias may be null.
void conv_undilated(const float* x, const float* packed, const float* bias, const ConvShape& s,
                    Activation act, float* y);

}  // namespace pocketrec::tfl
