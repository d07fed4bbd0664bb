// GELU: x * Phi(x) with the error function, or TFLite's tanh approximation when the option
// `approximate` is set.
#include <cmath>

#include "tflite/ops/unary_common.hpp"

namespace pocketrec::tfl {
namespace {

bool approximate(const OpContext& ctx) {
  const auto* o = options_as<tflite::GeluOptions>(ctx);
  return o && o->approximate();
}

void eval(OpContext& ctx) {
  if (approximate(ctx)) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    float_unary_eval(ctx, [](float x) {
      return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
    });
    return;
  }
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  float_unary_eval(ctx, [](float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); });
}

}  // namespace

const Kernel& gelu_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
