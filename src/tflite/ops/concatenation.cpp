// CONCATENATION along ConcatenationOptions.axis (negative allowed), with a fused activation.
#include <cstring>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

int read_axis(const OpContext& ctx, Activation* act) {
  int64_t axis = 0;
  if (const auto* opt = options_as<tflite::ConcatenationOptions>(ctx)) {
    axis = opt->axis();
    if (act) *act = fused_activation(ctx, opt->fused_activation_function());
  }
  return normalize_axis(ctx, axis, ctx.input(0).shape.rank);
}

void prepare(OpContext& ctx) {
  ctx.require(!ctx.inputs.empty(), "needs at least one input");
  ctx.require_outputs(1);
  const Tensor& first = ctx.input(0);
  const int axis = read_axis(ctx, nullptr);
  Shape out = first.shape;
  out[axis] = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor& t = ctx.input(i);
    ctx.require(t.type == first.type, "inputs have different types");
    ctx.require(t.shape.rank == first.shape.rank, "inputs have different ranks");
    for (int d = 0; d < t.shape.rank; ++d) {
      ctx.require(d == axis || t.shape[d] == first.shape[d],
                  "input " + std::to_string(i) + " " + t.shape.str() + " does not fit " +
                      first.shape.str() + " outside axis " + std::to_string(axis));
    }
    out[axis] += t.shape[axis];
  }
  ctx.set_output(0, out, first.type);
}

void eval(OpContext& ctx) {
  Activation act = Activation::kNone;
  const int axis = read_axis(ctx, &act);
  Tensor& out = ctx.output(0);
  const size_t element = dtype_size(out.type);
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= out.shape[d];
  const int64_t out_row = outer ? out.elements() / outer : 0;
  int64_t column = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor& t = ctx.input(i);
    const int64_t row = outer ? t.elements() / outer : 0;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(out.data + (o * out_row + column) * element, t.data + o * row * element,
                  row * element);
    }
    column += row;
  }
  if (out.type == DType::kFloat32) activate_all(act, out.as<float>(), out.elements());
}

}  // namespace

const Kernel& concatenation_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
