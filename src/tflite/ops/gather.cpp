// GATHER along GatherOptions.axis (batch_dims 0). An index outside [0, dim) fails the query, as in
// TFLite: no clamping, no wrap-around.
#include <cstring>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Layout {
  int64_t outer, axis_dim, inner;
};

Layout layout_of(const OpContext& ctx, int& axis) {
  const Tensor& params = ctx.input(0);
  int64_t raw = 0;
  if (const auto* opt = options_as<tflite::GatherOptions>(ctx)) {
    raw = opt->axis();
    if (opt->batch_dims() != 0) ctx.fail("batch_dims other than 0 is not supported");
  }
  axis = normalize_axis(ctx, raw, params.shape.rank);
  Layout l{1, params.shape.rank ? params.shape[axis] : 1, 1};
  for (int i = 0; i < axis; ++i) l.outer *= params.shape[i];
  for (int i = axis + 1; i < params.shape.rank; ++i) l.inner *= params.shape[i];
  return l;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(1);
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  ctx.require(indices.type == DType::kInt32 || indices.type == DType::kInt64,
              "indices must be int32 or int64");
  ctx.require(params.shape.rank >= 1, "params must have rank >= 1");
  int axis = 0;
  layout_of(ctx, axis);
  Shape out;
  for (int i = 0; i < axis; ++i) out[out.rank++] = params.shape[i];
  for (int i = 0; i < indices.shape.rank; ++i) out[out.rank++] = indices.shape[i];
  for (int i = axis + 1; i < params.shape.rank; ++i) out[out.rank++] = params.shape[i];
  ctx.require(out.rank <= kMaxRank, "output rank is too large");
  ctx.set_output(0, out, params.type);
  Tensor& o = ctx.output(0);
  if (!o.quant.quantized()) o.quant = params.quant;
}

template <typename I>
void run(OpContext& ctx) {
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  Tensor& out = ctx.output(0);
  int axis = 0;
  Layout l = layout_of(ctx, axis);
  const size_t element = dtype_size(params.type);
  const size_t chunk = static_cast<size_t>(l.inner) * element;
  const I* idx = indices.as<I>();
  const int64_t n = indices.elements();
  for (int64_t o = 0; o < l.outer; ++o) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = idx[i];
      if (k < 0 || k >= l.axis_dim) {
        ctx.fail("index " + std::to_string(k) + " is out of range [0, " +
                 std::to_string(l.axis_dim) + ")");
      }
      std::memcpy(out.data + ((o * n + i) * chunk), params.data + ((o * l.axis_dim + k) * chunk),
                  chunk);
    }
  }
}

void eval(OpContext& ctx) {
  if (ctx.input(1).type == DType::kInt32) {
    run<int32_t>(ctx);
  } else {
    run<int64_t>(ctx);
  }
}

}  // namespace

const Kernel& gather_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
