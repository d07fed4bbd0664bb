// SUB: a - b with NumPy broadcasting and a fused activation.
#include "tflite/ops/binary_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  binary_prepare(ctx, {DType::kFloat32, DType::kInt32});
}
void eval(OpContext& ctx) {
  arithmetic_eval<tflite::SubOptions>(ctx, [](auto x, auto y) { return x - y; });
}

}  // namespace

const Kernel& sub_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
