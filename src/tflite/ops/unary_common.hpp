#pragma once
// Float32 elementwise unary operators.
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {

inline void float_unary_prepare(OpContext& ctx) {
  ctx.require_inputs(1, 1);
  ctx.require_outputs(1);
  ctx.require_type(ctx.input(0), DType::kFloat32, "input");
  ctx.set_output(0, ctx.input(0).shape, DType::kFloat32);
}

template <typename F>
void float_unary_eval(OpContext& ctx, F f) {
  const float* x = ctx.input(0).as<float>();
  float* y = ctx.output(0).as<float>();
  const int64_t n = ctx.input(0).elements();
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

}  // namespace pocketrec::tfl
