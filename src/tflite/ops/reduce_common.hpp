#pragma once
// Shared shape logic and loop of the float reductions (SUM, MEAN, REDUCE_MAX): the axes come from
// a constant int32 input (negative allowed, duplicates counted once), keep_dims from
// ReducerOptions.
#include <algorithm>
#include <limits>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {

struct ReduceLayout {
  std::array<bool, kMaxRank> reduced{};
  int64_t count = 1;  // input elements per output element
};

ReduceLayout reduce_prepare(OpContext& ctx);
ReduceLayout reduce_layout(const OpContext& ctx);  // no checks, no allocation: for eval()

// Sum of n floats in eight interleaved partial sums (dot()'s order): a reduction over the last
// axis (LayerNorm's MEAN) is otherwise one dependent add per element.
inline float sum_in_lanes(const float* x, int64_t n) {
  Float8 acc = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc += load8(x + i);
  float total = sum_lanes(acc);
  for (; i < n; ++i) total += x[i];
  return total;
}

// out[o] = finish(fold(init, in...), count) over the reduced axes. kAdditive: fold is addition
// (SUM, MEAN), so a reduction of the last axes may sum in lanes.
template <bool kAdditive = false, typename Fold, typename Finish>
void reduce_eval(OpContext& ctx, float init, Fold fold, Finish finish) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  ReduceLayout layout = reduce_layout(ctx);
  float* y = out.as<float>();
  const int64_t n_out = out.elements();
  for (int64_t i = 0; i < n_out; ++i) y[i] = init;
  const float* x = in.as<float>();
  const int rank = in.shape.rank;
  // Reduced axes in one contiguous run (the usual case) read as [outer, mid, inner]: the inner loop
  // is then a plain vector loop. Elements are folded in the same order as the general path.
  int first = rank, last = -1;
  for (int d = 0; d < rank; ++d) {
    if (layout.reduced[d]) {
      first = std::min(first, d);
      last = d;
    }
  }
  bool contiguous = last >= 0;
  for (int d = first; contiguous && d <= last; ++d) contiguous = layout.reduced[d];
  if (contiguous) {
    int64_t outer = 1, mid = 1, inner = 1;
    for (int d = 0; d < first; ++d) outer *= in.shape[d];
    for (int d = first; d <= last; ++d) mid *= in.shape[d];
    for (int d = last + 1; d < rank; ++d) inner *= in.shape[d];
    if constexpr (kAdditive) {
      if (inner == 1) {
        for (int64_t o = 0; o < outer; ++o) y[o] = finish(sum_in_lanes(x + o * mid, mid), mid);
        return;
      }
    }
    for (int64_t o = 0; o < outer; ++o) {
      float* row = y + o * inner;
      for (int64_t m = 0; m < mid; ++m) {
        const float* src = x + (o * mid + m) * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] = fold(row[i], src[i]);
      }
    }
    for (int64_t i = 0; i < n_out; ++i) y[i] = finish(y[i], layout.count);
    return;
  }
  std::array<int64_t, kMaxRank> out_stride{};
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    out_stride[d] = layout.reduced[d] ? 0 : stride;
    if (!layout.reduced[d]) stride *= in.shape[d];
  }
  std::array<int32_t, kMaxRank> coord{};
  const int64_t n_in = in.elements();
  int64_t o = 0;
  for (int64_t i = 0; i < n_in; ++i) {
    y[o] = fold(y[o], x[i]);
    for (int d = rank - 1; d >= 0; --d) {  // odometer step, keeping the output offset in sync
      o += out_stride[d];
      if (++coord[d] < in.shape[d]) break;
      o -= out_stride[d] * coord[d];
      coord[d] = 0;
    }
  }
  for (int64_t i = 0; i < n_out; ++i) y[i] = finish(y[i], layout.count);
}

}  // namespace pocketrec::tfl
