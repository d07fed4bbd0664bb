// STRIDED_SLICE with constant begin/end/strides, begin/end masks, shrink_axis_mask and offset;
// ellipsis and new-axis masks are rejected (they need op version 6 and no recommendation graph
// uses them).
#include <cstring>

#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Plan {
  int rank = 0;
  std::array<int64_t, kMaxRank> start{}, stride{}, count{};
  Shape out;
};

Plan make_plan(const OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int rank = in.shape.rank;
  const Tensor& begin_t = ctx.input(1);
  const Tensor& end_t = ctx.input(2);
  const Tensor& strides_t = ctx.input(3);
  std::array<int64_t, kMaxRank> begin{}, end{}, strides{};
  for (int i = 0; i < rank; ++i) {
    begin[i] = constant_at(begin_t, i);
    end[i] = constant_at(end_t, i);
    strides[i] = constant_at(strides_t, i);
  }
  int begin_mask = 0, end_mask = 0, shrink = 0;
  bool offset = false;
  if (const auto* opt = options_as<tflite::StridedSliceOptions>(ctx)) {
    ctx.require(opt->ellipsis_mask() == 0 && opt->new_axis_mask() == 0,
                "ellipsis and new-axis masks are not supported");
    begin_mask = opt->begin_mask();
    end_mask = opt->end_mask();
    shrink = opt->shrink_axis_mask();
    offset = opt->offset();
  }
  Plan p;
  p.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int64_t d = in.shape[i], s = strides[i];
    // The messages are built only on failure: eval plans too, and must not allocate.
    if (s == 0) ctx.require(false, "stride 0 in dimension " + std::to_string(i));
    auto clamp = [&](int64_t v) {
      if (v < 0) v += d;
      return s > 0 ? std::clamp<int64_t>(v, 0, d) : std::clamp<int64_t>(v, -1, d - 1);
    };
    int64_t start = (begin_mask >> i & 1) ? (s > 0 ? 0 : d - 1) : clamp(begin[i]);
    int64_t stop;
    if (shrink >> i & 1) {
      int64_t b = begin[i] < 0 ? begin[i] + d : begin[i];
      if (b < 0 || b >= d) {
        ctx.require(false, "shrunk index " + std::to_string(begin[i]) +
                               " is out of range in dimension " + std::to_string(i));
      }
      p.start[i] = b;
      p.stride[i] = 1;
      p.count[i] = 1;
      continue;
    }
    if (end_mask >> i & 1) {
      stop = s > 0 ? d : -1;
    } else {
      stop = clamp(offset ? begin[i] + end[i] : end[i]);
    }
    int64_t n = s > 0 ? (stop - start + s - 1) / s : (start - stop + (-s) - 1) / (-s);
    p.start[i] = start;
    p.stride[i] = s;
    p.count[i] = std::max<int64_t>(n, 0);
    p.out[p.out.rank++] = static_cast<int32_t>(p.count[i]);
  }
  return p;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(4, 4);
  ctx.require_outputs(1);
  const int rank = ctx.input(0).shape.rank;
  ctx.require(rank <= 5, "input rank above 5");
  for (int i = 1; i <= 3; ++i) {
    const char* what = i == 1 ? "begin" : i == 2 ? "end" : "strides";
    ctx.require(static_cast<int>(constant_ints(ctx, ctx.input(i), what).size()) == rank,
                std::string(what) + " must have " + std::to_string(rank) + " values");
  }
  Plan p = make_plan(ctx);
  ctx.set_output(0, p.out, ctx.input(0).type);
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  Plan p = make_plan(ctx);
  const size_t element = dtype_size(in.type);
  std::array<int64_t, kMaxRank> in_stride{};
  int64_t s = 1;
  for (int i = p.rank - 1; i >= 0; --i) {
    in_stride[i] = s;
    s *= in.shape[i];
  }
  const int64_t n = out.elements();
  std::array<int64_t, kMaxRank> coord{};
  for (int64_t o = 0; o < n; ++o) {
    int64_t offset = 0;
    for (int i = 0; i < p.rank; ++i) offset += (p.start[i] + coord[i] * p.stride[i]) * in_stride[i];
    std::memcpy(out.data + o * element, in.data + offset * element, element);
    for (int i = p.rank - 1; i >= 0; --i) {
      if (++coord[i] < p.count[i]) break;
      coord[i] = 0;
    }
  }
}

}  // namespace

const Kernel& strided_slice_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
