// REDUCE_MAX over the given axes.
#include "tflite/ops/reduce_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  reduce_prepare(ctx);
}
void eval(OpContext& ctx) {
  reduce_eval(
      ctx, std::numeric_limits<float>::lowest(),
      [](float acc, float x) { return x > acc ? x : acc; }, [](float acc, int64_t) { return acc; });
}

}  // namespace

const Kernel& reduce_max_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
