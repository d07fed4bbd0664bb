// RSQRT: 1 / sqrt(x), elementwise (LayerNorm's scale in exported attention graphs).
#include "tflite/ops/attention_math.hpp"
#include "tflite/ops/unary_common.hpp"

namespace pocketrec::tfl {
namespace {

void eval(OpContext& ctx) {
  float_unary_eval(ctx, rsqrt);
}

}  // namespace

const Kernel& rsqrt_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
