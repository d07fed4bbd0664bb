// TANH, elementwise.
#include "tflite/ops/unary_common.hpp"

namespace pocketrec::tfl {
namespace {

void eval(OpContext& ctx) {
  float_unary_eval(ctx, [](float x) { return fast_tanh(x); });
}

}  // namespace

const Kernel& tanh_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
