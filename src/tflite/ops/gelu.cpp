// GELU: x * Phi(x) with the error function, or TFLite's tanh approximation when the option
// `approximate` is set.
#include <cmath>

#include "tflite/ops/attention_math.hpp"
#include "tflite/ops/unary_common.hpp"

namespace pocketrec::tfl {
namespace {

bool approximate(const OpContext& ctx) {
  const auto* o = options_as<tflite::GeluOptions>(ctx);
  return o && o->approximate();
}

void eval(OpContext& ctx) {
  gelu(ctx.input(0).as<float>(), ctx.output(0).as<float>(), ctx.input(0).elements(),
       approximate(ctx));
}

}  // namespace

void gelu(const float* x, float* y, int64_t n, bool approximate) {
  if (approximate) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      y[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
    }
    return;
  }
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

const Kernel& gelu_kernel() {
  static const Kernel k{float_unary_prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
