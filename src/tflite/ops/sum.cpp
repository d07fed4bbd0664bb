// SUM over the given axes.
#include "tflite/ops/reduce_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  reduce_prepare(ctx);
}
void eval(OpContext& ctx) {
  reduce_eval<true>(
      ctx, 0.0f, [](float acc, float x) { return acc + x; },
      [](float acc, int64_t) { return acc; });
}

}  // namespace

const Kernel& sum_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
