// LOGISTIC: 1 / (1 + exp(-x)), saturating cleanly at both ends.
#include "tflite/ops/unary_common.hpp"
#include "tflite/ops/vector_math.hpp"

namespace pocketrec::tfl {
namespace {

void eval(OpContext& ctx) {
  sigmoid_array(ctx.input(0).as<float>(), ctx.output(0).as<float>(),
                static_cast<size_t>(ctx.input(0).elements()));
}

}  // namespace

const Kernel& logistic_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
