#include "tflite/ops/reduce_common.hpp"

namespace pocketrec::tfl {

ReduceLayout reduce_layout(const OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const Tensor& axes = ctx.input(1);
  ReduceLayout layout;
  for (int64_t i = 0; i < axes.elements(); ++i) {
    int a = normalize_axis(ctx, constant_at(axes, i), in.shape.rank);
    if (!layout.reduced[a]) layout.count *= in.shape[a];
    layout.reduced[a] = true;
  }
  return layout;
}

ReduceLayout reduce_prepare(OpContext& ctx) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require_type(ctx.input(1), DType::kInt32, "axes");
  ctx.require(ctx.input(1).constant, "axes must be a constant tensor");
  ReduceLayout layout = reduce_layout(ctx);
  bool keep_dims = false;
  if (const auto* opt = options_as<tflite::ReducerOptions>(ctx)) keep_dims = opt->keep_dims();
  Shape out;
  for (int d = 0; d < in.shape.rank; ++d) {
    if (!layout.reduced[d]) {
      out[out.rank++] = in.shape[d];
    } else if (keep_dims) {
      out[out.rank++] = 1;
    }
  }
  ctx.set_output(0, out, DType::kFloat32);
  return layout;
}

}  // namespace pocketrec::tfl
