#include "tflite/ops/reduce_common.hpp"

namespace pocketrec::tfl {

ReduceLayout reduce_prepare(OpContext& ctx) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require_type(ctx.input(1), DType::kInt32, "axes");
  ReduceLayout layout;
  for (int64_t axis : constant_ints(ctx, ctx.input(1), "axes")) {
    int a = normalize_axis(ctx, axis, in.shape.rank);
    if (!layout.reduced[a]) layout.count *= in.shape[a];
    layout.reduced[a] = true;
  }
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
