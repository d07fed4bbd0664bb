// TANH, elementwise.
#include "tflite/ops/unary_common.hpp"
#include "tflite/ops/vector_math.hpp"

namespace pocketrec::tfl {
namespace {

void eval(OpContext& ctx) {
  tanh_array(ctx.input(0).as<float>(), ctx.output(0).as<float>(),
             static_cast<size_t>(ctx.input(0).elements()));
}

}  // namespace

const Kernel& tanh_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
