// NOT_EQUAL: elementwise a != b as bool, with NumPy broadcasting.
#include "tflite/ops/binary_common.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  binary_prepare(ctx, {DType::kFloat32, DType::kInt32, DType::kInt64}, DType::kBool);
}

template <typename T>
void run(OpContext& ctx) {
  broadcast_binary<T, bool>(ctx.input(0), ctx.input(1), ctx.output(0),
                            [](T x, T y) { return x != y; });
}

void eval(OpContext& ctx) {
  switch (ctx.input(0).type) {
    case DType::kFloat32:
      run<float>(ctx);
      break;
    case DType::kInt32:
      run<int32_t>(ctx);
      break;
    default:
      run<int64_t>(ctx);
  }
}

}  // namespace

const Kernel& not_equal_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
