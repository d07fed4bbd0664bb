// RESHAPE: same elements, new shape from the constant shape input or ReshapeOptions.new_shape; one
// dimension may be -1.
#include <cstring>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

void prepare(OpContext& ctx) {
  ctx.require_inputs(1, 2);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  std::vector<int64_t> dims;
  const Tensor* shape = ctx.optional_input(1);
  if (shape && shape->shape.rank == 1 && shape->type == DType::kInt32) {
    dims = constant_ints(ctx, *shape, "the shape input");
  } else if (const auto* opt = options_as<tflite::ReshapeOptions>(ctx); opt && opt->new_shape()) {
    dims.assign(opt->new_shape()->begin(), opt->new_shape()->end());
  } else if (shape) {
    dims = constant_ints(ctx, *shape, "the shape input");
  } else {
    ctx.fail("no target shape (neither a shape input nor new_shape)");
  }
  if (dims.size() > static_cast<size_t>(kMaxRank)) ctx.fail("target rank is too large");
  Shape out;
  int64_t known = 1;
  int unknown = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (unknown >= 0) ctx.fail("more than one -1 in the target shape");
      unknown = static_cast<int>(i);
    } else if (dims[i] < 0 || dims[i] > in.elements()) {
      ctx.fail("invalid target dimension " + std::to_string(dims[i]));
    } else {
      known *= dims[i];
    }
    out[out.rank++] = static_cast<int32_t>(dims[i]);
  }
  if (unknown >= 0) {
    if (known == 0 || in.elements() % known != 0) ctx.fail("cannot infer the -1 dimension");
    out[unknown] = static_cast<int32_t>(in.elements() / known);
  }
  if (out.elements() != in.elements()) {
    ctx.fail("cannot reshape " + in.shape.str() + " to " + out.str());
  }
  ctx.set_output(0, out, in.type);
  ctx.output(0).quant = in.quant;
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  if (out.data != in.data) std::memcpy(out.data, in.data, in.bytes);
}

}  // namespace

const Kernel& reshape_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
