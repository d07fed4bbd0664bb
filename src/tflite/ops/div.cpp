// DIV: a / b with NumPy broadcasting and a fused activation (float32; IEEE division, so x / 0 is
// inf or nan as in TFLite's float kernel).
#include "tflite/ops/binary_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  binary_prepare(ctx, {DType::kFloat32});
}
void eval(OpContext& ctx) {
  arithmetic_eval<tflite::DivOptions>(ctx, [](auto x, auto y) { return x / y; });
}

}  // namespace

const Kernel& div_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
