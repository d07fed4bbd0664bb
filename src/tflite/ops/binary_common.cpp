#include "tflite/ops/binary_common.hpp"

#include <optional>

namespace pocketrec::tfl {

void binary_prepare(OpContext& ctx, std::initializer_list<DType> allowed,
                    std::optional<DType> out_type) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(1);
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  ctx.require(a.type == b.type, "inputs have different types (" + dtype_name(a.type) + ", " +
                                    dtype_name(b.type) + ")");
  bool ok = false;
  for (DType t : allowed) ok = ok || a.type == t;
  ctx.require(ok, "input type " + dtype_name(a.type) + " is not supported");
  ctx.set_output(0, broadcast_shape(ctx, a.shape, b.shape), out_type.value_or(a.type));
}

}  // namespace pocketrec::tfl
