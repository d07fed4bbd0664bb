// CONV_2D, float NHWC: input [N,H,W,Cin], filter [Cout,KH,KW,Cin], bias [Cout]; SAME or VALID
// padding, strides, dilations and a fused activation from Conv2DOptions.
#include "tflite/ops/conv_geometry.hpp"
#include "tflite/ops/conv_rows.hpp"
#include "tflite/ops/op_util.hpp"
#include "tflite/ops/vector_math.hpp"

namespace pocketrec::tfl {

void pack_conv_filter(const float* filter, const ConvShape& s, float* packed) {
  const int64_t window = static_cast<int64_t>(s.kh) * s.kw * s.cin;
  for (int32_t co = 0; co < s.cout; ++co) {
    for (int64_t j = 0; j < window; ++j) packed[j * s.cout + co] = filter[co * window + j];
  }
}

void conv_undilated(const float* x, const float* packed, const float* bias, const ConvShape& s,
                    Activation act, float* y) {
  // Output positions go to add_scaled_taps a group at a time, so their chains overlap (the group
  // size only bounds the stack array).
  constexpr int32_t kGroup = 16;
  const auto width = static_cast<size_t>(s.cout);
  for (int32_t oy = 0; oy < s.gh.out; ++oy) {
    for (int32_t first = 0; first < s.gw.out; first += kGroup) {
      const int32_t count = std::min(kGroup, s.gw.out - first);
      float* out = y + (static_cast<int64_t>(oy) * s.gw.out + first) * s.cout;
      int32_t ix0[kGroup];
      for (int32_t i = 0; i < count; ++i) {
        ix0[i] = (first + i) * s.stride_w - s.gw.pad_before;
        if (bias) {
          std::copy_n(bias, s.cout, out + i * width);
        } else {
          std::fill_n(out + i * width, s.cout, 0.0f);
        }
      }
      for (int32_t ky = 0; ky < s.kh; ++ky) {
        const int32_t iy = oy * s.stride_h - s.gh.pad_before + ky * s.dilation_h;
        if (iy < 0 || iy >= s.h) continue;
        add_scaled_taps(x + static_cast<int64_t>(iy) * s.w * s.cin, ix0, count, s.kw, s.w, s.cin,
                        packed + static_cast<int64_t>(ky) * s.kw * s.cin * s.cout, width, out);
      }
      activate_all(act, out, count * s.cout);
    }
  }
}

namespace {

struct Params {
  bool same = true;
  int32_t stride_h = 0, stride_w = 0, dilation_h = 0, dilation_w = 0;
  Activation act = Activation::kNone;
};

Params read_params(const OpContext& ctx) {
  Params p;
  if (const auto* opt = options_as<tflite::Conv2DOptions>(ctx)) {
    p.same = opt->padding() == tflite::Padding::SAME;
    p.stride_h = opt->stride_h();
    p.stride_w = opt->stride_w();
    p.dilation_h = opt->dilation_h_factor();
    p.dilation_w = opt->dilation_w_factor();
    p.act = fused_activation(ctx, opt->fused_activation_function());
  }
  // Without options TFLite's strides and dilations are 0, which it cannot run either.
  ctx.require(p.stride_h > 0 && p.stride_w > 0 && p.dilation_h > 0 && p.dilation_w > 0,
              "strides and dilations must be positive (missing Conv2DOptions?)");
  return p;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(2, 3);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require_type(filter, DType::kFloat32, "filter");
  ctx.require(in.shape.rank == 4, "input must be NHWC, is " + in.shape.str());
  ctx.require(filter.shape.rank == 4, "filter must be [Cout,KH,KW,Cin], is " + filter.shape.str());
  ctx.require(filter.shape[3] == in.shape[3], "filter channels " + std::to_string(filter.shape[3]) +
                                                  " differ from input channels " +
                                                  std::to_string(in.shape[3]) +
                                                  " (grouped convolution is not supported)");
  if (const Tensor* bias = ctx.optional_input(2)) {
    ctx.require_type(*bias, DType::kFloat32, "bias");
    ctx.require(bias->elements() == filter.shape[0], "bias size differs from output channels");
  }
  Params p = read_params(ctx);
  auto gh = window_geometry(p.same, in.shape[1], filter.shape[1], p.stride_h, p.dilation_h);
  auto gw = window_geometry(p.same, in.shape[2], filter.shape[2], p.stride_w, p.dilation_w);
  ctx.set_output(0, Shape{in.shape[0], gh.out, gw.out, filter.shape[0]}, DType::kFloat32);
  // Undilated rows: a "packed" flag and the filter transposed to [KH][KW][Cin][Cout] (see eval).
  if (p.dilation_w == 1) ctx.scratch_bytes = sizeof(float) * (1 + filter.elements());
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  const Tensor* bias = ctx.optional_input(2);
  Params p = read_params(ctx);
  const int32_t n = in.shape[0], h = in.shape[1], w = in.shape[2], cin = in.shape[3];
  const int32_t cout = filter.shape[0], kh = filter.shape[1], kw = filter.shape[2];
  auto gh = window_geometry(p.same, h, kh, p.stride_h, p.dilation_h);
  auto gw = window_geometry(p.same, w, kw, p.stride_w, p.dilation_w);
  const float* x = in.as<float>();
  const float* f = filter.as<float>();
  const float* b = bias ? bias->as<float>() : nullptr;
  float* y = ctx.output(0).as<float>();
  if (p.dilation_w == 1) {
    // A constant filter (the usual case) is transposed once into this operator's own scratch,
    // which the arena zeroes at planning: a second copy of the filter per interpreter.
    ConvShape s{h, w, cin, cout, kh, kw, p.stride_h, p.stride_w, p.dilation_h, gh, gw};
    float* packed_flag = reinterpret_cast<float*>(ctx.scratch);
    float* packed = packed_flag + 1;
    if (!filter.constant || *packed_flag == 0.0f) {
      pack_conv_filter(f, s, packed);
      *packed_flag = 1.0f;
    }
    for (int32_t bi = 0; bi < n; ++bi) {
      conv_undilated(x + static_cast<int64_t>(bi) * h * w * cin, packed, b, s, p.act,
                     y + static_cast<int64_t>(bi) * gh.out * gw.out * cout);
    }
    return;
  }
  for (int32_t bi = 0; bi < n; ++bi) {
    for (int32_t oy = 0; oy < gh.out; ++oy) {
      for (int32_t ox = 0; ox < gw.out; ++ox) {
        float* out = y + ((static_cast<int64_t>(bi) * gh.out + oy) * gw.out + ox) * cout;
        for (int32_t co = 0; co < cout; ++co) {
          float acc = b ? b[co] : 0.0f;
          for (int32_t ky = 0; ky < kh; ++ky) {
            int32_t iy = oy * p.stride_h - gh.pad_before + ky * p.dilation_h;
            if (iy < 0 || iy >= h) continue;
            const int32_t ix0 = ox * p.stride_w - gw.pad_before;
            for (int32_t kx = 0; kx < kw; ++kx) {
              int32_t ix = ix0 + kx * p.dilation_w;
              if (ix < 0 || ix >= w) continue;
              const float* xi = x + ((static_cast<int64_t>(bi) * h + iy) * w + ix) * cin;
              const float* fi = f + ((static_cast<int64_t>(co) * kh + ky) * kw + kx) * cin;
              acc += dot(xi, fi, cin);
            }
          }
          out[co] = activate(p.act, acc);
        }
      }
    }
  }
}

}  // namespace

const Kernel& conv_2d_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
