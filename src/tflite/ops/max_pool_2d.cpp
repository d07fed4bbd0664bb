// MAX_POOL_2D, float NHWC, Pool2DOptions: padded cells never take part in the max (TFLite
// semantics), so a window over padding only is impossible with SAME.
#include <limits>

#include "tflite/ops/conv_geometry.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Params {
  bool same = true;
  int32_t stride_h = 0, stride_w = 0, filter_h = 0, filter_w = 0;
  Activation act = Activation::kNone;
};

Params read_params(const OpContext& ctx) {
  Params p;
  if (const auto* opt = options_as<tflite::Pool2DOptions>(ctx)) {
    p.same = opt->padding() == tflite::Padding::SAME;
    p.stride_h = opt->stride_h();
    p.stride_w = opt->stride_w();
    p.filter_h = opt->filter_height();
    p.filter_w = opt->filter_width();
    p.act = fused_activation(ctx, opt->fused_activation_function());
  }
  ctx.require(p.stride_h > 0 && p.stride_w > 0 && p.filter_h > 0 && p.filter_w > 0,
              "strides and filter sizes must be positive (missing Pool2DOptions?)");
  return p;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(1, 1);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require(in.shape.rank == 4, "input must be NHWC, is " + in.shape.str());
  Params p = read_params(ctx);
  auto gh = window_geometry(p.same, in.shape[1], p.filter_h, p.stride_h, 1);
  auto gw = window_geometry(p.same, in.shape[2], p.filter_w, p.stride_w, 1);
  ctx.set_output(0, Shape{in.shape[0], gh.out, gw.out, in.shape[3]}, DType::kFloat32);
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  Params p = read_params(ctx);
  const int32_t n = in.shape[0], h = in.shape[1], w = in.shape[2], c = in.shape[3];
  auto gh = window_geometry(p.same, h, p.filter_h, p.stride_h, 1);
  auto gw = window_geometry(p.same, w, p.filter_w, p.stride_w, 1);
  const float* x = in.as<float>();
  float* y = ctx.output(0).as<float>();
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t oy = 0; oy < gh.out; ++oy) {
      for (int32_t ox = 0; ox < gw.out; ++ox) {
        for (int32_t ch = 0; ch < c; ++ch) {
          float best = std::numeric_limits<float>::lowest();
          for (int32_t ky = 0; ky < p.filter_h; ++ky) {
            int32_t iy = oy * p.stride_h - gh.pad_before + ky;
            if (iy < 0 || iy >= h) continue;
            for (int32_t kx = 0; kx < p.filter_w; ++kx) {
              int32_t ix = ox * p.stride_w - gw.pad_before + kx;
              if (ix < 0 || ix >= w) continue;
              best = std::max(best, x[((static_cast<int64_t>(b) * h + iy) * w + ix) * c + ch]);
            }
          }
          y[((static_cast<int64_t>(b) * gh.out + oy) * gw.out + ox) * c + ch] =
              activate(p.act, best);
        }
      }
    }
  }
}

}  // namespace

const Kernel& max_pool_2d_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
