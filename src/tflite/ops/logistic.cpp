// LOGISTIC: 1 / (1 + exp(-x)), saturating cleanly at both ends.
#include "tflite/ops/unary_common.hpp"

namespace pocketrec::tfl {
namespace {

void eval(OpContext& ctx) {
  float_unary_eval(ctx, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}

}  // namespace

const Kernel& logistic_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
