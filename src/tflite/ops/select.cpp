// SELECT and SELECT_V2: out = cond ? x : y. SELECT (v1) takes a cond of x's shape, a rank-1 cond
// choosing whole rows, or a scalar; SELECT_V2 broadcasts all three NumPy-style.
#include <array>
#include <cstring>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

bool is_row_select(const Tensor& cond, const Tensor& x) {
  return cond.shape.rank == 1 && x.shape.rank > 1 && cond.shape[0] == x.shape[0];
}

void check_common(OpContext& ctx) {
  ctx.require_inputs(3, 3);
  ctx.require_outputs(1);
  ctx.require_type(ctx.input(0), DType::kBool, "condition");
  ctx.require(ctx.input(1).type == ctx.input(2).type, "x and y have different types");
}

void prepare_v1(OpContext& ctx) {
  check_common(ctx);
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  ctx.require(x.shape == ctx.input(2).shape,
              "x " + x.shape.str() + " and y " + ctx.input(2).shape.str() + " differ in shape");
  ctx.require(cond.shape == x.shape || cond.elements() == 1 || is_row_select(cond, x),
              "condition " + cond.shape.str() + " does not fit x " + x.shape.str());
  ctx.set_output(0, x.shape, x.type);
}

void prepare_v2(OpContext& ctx) {
  check_common(ctx);
  Shape s = broadcast_shape(ctx, ctx.input(0).shape,
                            broadcast_shape(ctx, ctx.input(1).shape, ctx.input(2).shape));
  ctx.set_output(0, s, ctx.input(1).type);
}

void eval(OpContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  Tensor& out = ctx.output(0);
  const size_t element = dtype_size(x.type);
  const uint8_t* c = cond.as<uint8_t>();  // bytes, not bool: any non-zero is true
  const int64_t n = out.elements();
  if (is_row_select(cond, x) && x.shape == out.shape && ctx.code == 64) {
    const int64_t row = n / x.shape[0];
    for (int32_t r = 0; r < x.shape[0]; ++r) {
      const Tensor& src = c[r] ? x : y;
      std::memcpy(out.data + r * row * element, src.data + r * row * element, row * element);
    }
    return;
  }
  // An odometer over the output keeps the three input offsets in step: no division per element.
  const int rank = out.shape.rank;
  std::array<int64_t, kMaxRank> sc{}, sx{}, sy{};
  broadcast_strides(cond.shape, out.shape, sc);
  broadcast_strides(x.shape, out.shape, sx);
  broadcast_strides(y.shape, out.shape, sy);
  std::array<int32_t, kMaxRank> coord{};
  int64_t oc = 0, ox = 0, oy = 0;
  for (int64_t i = 0; i < n; ++i) {
    const std::byte* src = c[oc] ? x.data + ox * element : y.data + oy * element;
    std::memcpy(out.data + i * element, src, element);
    for (int d = rank - 1; d >= 0; --d) {
      oc += sc[d];
      ox += sx[d];
      oy += sy[d];
      if (++coord[d] < out.shape[d]) break;
      oc -= sc[d] * out.shape[d];
      ox -= sx[d] * out.shape[d];
      oy -= sy[d] * out.shape[d];
      coord[d] = 0;
    }
  }
}

}  // namespace

const Kernel& select_kernel() {
  static const Kernel k{prepare_v1, eval};
  return k;
}

const Kernel& select_v2_kernel() {
  static const Kernel k{prepare_v2, eval};
  return k;
}

}  // namespace pocketrec::tfl
