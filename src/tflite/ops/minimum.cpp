// MINIMUM: elementwise min(a, b) with NumPy broadcasting.
#include "tflite/ops/binary_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  binary_prepare(ctx, {DType::kFloat32, DType::kInt32});
}
void eval(OpContext& ctx) {
  const Tensor& a = ctx.input(0);
  if (a.type == DType::kInt32) {
    broadcast_binary<int32_t, int32_t>(a, ctx.input(1), ctx.output(0),
                                       [](int32_t x, int32_t y) { return x < y ? x : y; });
  } else {
    broadcast_binary<float, float>(a, ctx.input(1), ctx.output(0),
                                   [](float x, float y) { return x < y ? x : y; });
  }
}

}  // namespace

const Kernel& minimum_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
