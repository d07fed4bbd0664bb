// TOPK_V2 along the last dimension: values sorted descending, ties broken by the lower index (as
// TFLite does); NaN ranks below every number.
#include <algorithm>
#include <cmath>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

int32_t read_k(const OpContext& ctx) {
  return static_cast<int32_t>(constant_at(ctx.input(1), 0));
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(2);
  const Tensor& in = ctx.input(0);
  ctx.require(in.type == DType::kFloat32 || in.type == DType::kInt32,
              "input must be float32 or int32");
  ctx.require(in.shape.rank >= 1, "input must have rank >= 1");
  const int32_t n = in.shape[in.shape.rank - 1];
  ctx.require(ctx.input(1).elements() == 1, "k must have exactly one element");
  const int32_t k = static_cast<int32_t>(constant_ints(ctx, ctx.input(1), "k")[0]);
  ctx.require(k >= 0 && k <= n,
              "k = " + std::to_string(k) + " is outside [0, " + std::to_string(n) + "]");
  Shape out = in.shape;
  out[out.rank - 1] = k;
  ctx.set_output(0, out, in.type);
  ctx.set_output(1, out, DType::kInt32);
  ctx.scratch_bytes = sizeof(int32_t) * static_cast<size_t>(n);
}

template <typename T>
void run(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int32_t n = in.shape[in.shape.rank - 1];
  const int32_t k = read_k(ctx);
  const int64_t rows = n ? in.elements() / n : 0;
  auto* order = reinterpret_cast<int32_t*>(ctx.scratch);
  T* values = ctx.output(0).as<T>();
  int32_t* indices = ctx.output(1).as<int32_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const T* x = in.as<T>() + r * n;
    for (int32_t i = 0; i < n; ++i) order[i] = i;
    auto before = [x](int32_t a, int32_t b) {
      T va = x[a], vb = x[b];
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(va) || std::isnan(vb))
          return std::isnan(va) == std::isnan(vb) ? a < b : !std::isnan(va);
      }
      return va != vb ? va > vb : a < b;
    };
    std::partial_sort(order, order + k, order + n, before);
    for (int32_t i = 0; i < k; ++i) {
      values[r * k + i] = x[order[i]];
      indices[r * k + i] = order[i];
    }
  }
}

void eval(OpContext& ctx) {
  if (ctx.input(0).type == DType::kFloat32) {
    run<float>(ctx);
  } else {
    run<int32_t>(ctx);
  }
}

}  // namespace

const Kernel& topk_v2_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
