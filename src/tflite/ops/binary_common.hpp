#pragma once
// Shape and type checks shared by the broadcasting binary operators.
#include <optional>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {

// Checks two inputs of one type among `allowed` and sets output 0 to the broadcast shape with
// `out_type` (or the input type when out_type is empty).
void binary_prepare(OpContext& ctx, std::initializer_list<DType> allowed,
                    std::optional<DType> out_type = std::nullopt);

// Arithmetic op with an optional fused activation from options table T (float32 and int32).
template <typename T, typename F>
void arithmetic_eval(OpContext& ctx, F f) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& out = ctx.output(0);
  if (a.type == DType::kInt32) {
    broadcast_binary<int32_t, int32_t>(a, b, out, f);
    return;
  }
  Activation act = Activation::kNone;
  if (const auto* opt = options_as<T>(ctx))
    act = fused_activation(ctx, opt->fused_activation_function());
  broadcast_binary<float, float>(a, b, out, f);
  activate_all(act, out.as<float>(), out.elements());
}

}  // namespace pocketrec::tfl
