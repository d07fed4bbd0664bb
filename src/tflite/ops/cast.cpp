// CAST between the executable types, as a C++ static_cast (float -> int truncates toward zero,
// x -> bool is x != 0). The types come from the tensors; CastOptions is ignored, as in TFLite.
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  ctx.require_inputs(1, 1);
  ctx.require_outputs(1);
  ctx.set_output(0, ctx.input(0).shape, ctx.output(0).type);
}

template <typename To, typename From>
void convert(const Tensor& in, Tensor& out) {
  const From* x = in.as<From>();
  To* y = out.as<To>();
  const int64_t n = in.elements();
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<To, bool>) {
      y[i] = x[i] != From{};
    } else {
      y[i] = static_cast<To>(x[i]);
    }
  }
}

template <typename To>
void from_any(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  switch (in.type) {
    case DType::kFloat32:
      return convert<To, float>(in, out);
    case DType::kInt32:
      return convert<To, int32_t>(in, out);
    case DType::kInt64:
      return convert<To, int64_t>(in, out);
    case DType::kInt16:
      return convert<To, int16_t>(in, out);
    case DType::kInt8:
      return convert<To, int8_t>(in, out);
    case DType::kUInt8:
      return convert<To, uint8_t>(in, out);
    case DType::kBool:
      return convert<To, uint8_t>(in, out);  // bytes, so a stray value is still 'true'
  }
}

void eval(OpContext& ctx) {
  switch (ctx.output(0).type) {
    case DType::kFloat32:
      return from_any<float>(ctx);
    case DType::kInt32:
      return from_any<int32_t>(ctx);
    case DType::kInt64:
      return from_any<int64_t>(ctx);
    case DType::kInt16:
      return from_any<int16_t>(ctx);
    case DType::kInt8:
      return from_any<int8_t>(ctx);
    case DType::kUInt8:
      return from_any<uint8_t>(ctx);
    case DType::kBool:
      return from_any<bool>(ctx);
  }
}

}  // namespace

const Kernel& cast_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
