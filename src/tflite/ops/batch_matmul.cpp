// BATCH_MATMUL: [..., n, k] x [..., k, m] -> [..., n, m], either side optionally transposed
// (adj_x, adj_y), batch dimensions broadcast. Float32.
#include "tflite/ops/attention_math.hpp"
#include "tflite/ops/dot_rows.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Flags {
  bool adj_x = false, adj_y = false;
};

Flags flags_of(const OpContext& ctx) {
  const auto* o = options_as<tflite::BatchMatMulOptions>(ctx);
  return o ? Flags{o->adj_x(), o->adj_y()} : Flags{};
}

// The batch shape (all but the last two axes), padded with leading 1s to `rank`.
Shape batch_shape(const Shape& s, int rank) {
  Shape out;
  out.rank = rank;
  const int batch_axes = s.rank - 2;
  for (int d = 0; d < rank; ++d) {
    const int src = d - (rank - batch_axes);
    out[d] = src >= 0 ? s[src] : 1;
  }
  return out;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(2, 2);
  ctx.require_outputs(1);
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  ctx.require_type(x, DType::kFloat32, "lhs");
  ctx.require_type(y, DType::kFloat32, "rhs");
  ctx.require(x.shape.rank >= 2 && y.shape.rank >= 2 && x.shape.rank <= 5 && y.shape.rank <= 5,
              "operands must have rank 2 to 5");
  const Flags f = flags_of(ctx);
  const int64_t n = x.shape[x.shape.rank - (f.adj_x ? 1 : 2)];
  const int64_t k = x.shape[x.shape.rank - (f.adj_x ? 2 : 1)];
  const int64_t k2 = y.shape[y.shape.rank - (f.adj_y ? 1 : 2)];
  const int64_t m = y.shape[y.shape.rank - (f.adj_y ? 2 : 1)];
  ctx.require(k == k2, "the operands' inner dimensions differ");
  const int batch_rank = std::max(x.shape.rank, y.shape.rank) - 2;
  Shape bx = batch_shape(x.shape, batch_rank), by = batch_shape(y.shape, batch_rank);
  Shape out;
  out.rank = batch_rank + 2;
  for (int d = 0; d < batch_rank; ++d) {
    ctx.require(bx[d] == by[d] || bx[d] == 1 || by[d] == 1, "batch dimensions do not broadcast");
    out[d] = std::max(bx[d], by[d]);
  }
  out[batch_rank] = static_cast<int>(n);
  out[batch_rank + 1] = static_cast<int>(m);
  ctx.set_output(0, out, DType::kFloat32);
}

void eval(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  Tensor& z = ctx.output(0);
  const Flags f = flags_of(ctx);
  const int xr = x.shape.rank, yr = y.shape.rank;
  const int64_t n = x.shape[xr - (f.adj_x ? 1 : 2)], k = x.shape[xr - (f.adj_x ? 2 : 1)];
  const int64_t m = y.shape[yr - (f.adj_y ? 2 : 1)];
  const int batch_rank = z.shape.rank - 2;
  const Shape bx = batch_shape(x.shape, batch_rank), by = batch_shape(y.shape, batch_rank);
  int64_t batches = 1;
  for (int d = 0; d < batch_rank; ++d) batches *= z.shape[d];
  const float* xs = x.as<float>();
  const float* ys = y.as<float>();
  float* zs = z.as<float>();
  for (int64_t b = 0; b < batches; ++b) {
    // Broadcast batch index -> each operand's own batch offset.
    int64_t rest = b, ox = 0, oy = 0, sx = 1, sy = 1;
    for (int d = batch_rank - 1; d >= 0; --d) {
      const int64_t i = rest % z.shape[d];
      rest /= z.shape[d];
      ox += (bx[d] == 1 ? 0 : i) * sx;
      oy += (by[d] == 1 ? 0 : i) * sy;
      sx *= bx[d];
      sy *= by[d];
    }
    const float* a = xs + ox * n * k;
    const float* c = ys + oy * k * m;
    float* out = zs + b * n * m;
    if (!f.adj_x && f.adj_y) {
      // Rows against rows (attention scores, q k^T): both operands contiguous, FULLY_CONNECTED's
      // kernel, which loads each block of the query row once for several key rows.
      for (int64_t i = 0; i < n; ++i) {
        std::fill(out + i * m, out + (i + 1) * m, 0.0f);
        dot_rows_add(a + i * k, c, k, m, k, out + i * m);
      }
    } else if (!f.adj_x) {
      // Weights times values: each output row is the rhs rows weighted in order.
      for (int64_t i = 0; i < n; ++i) {
        float* row = out + i * m;
        std::fill(row, row + m, 0.0f);
        weighted_rows_add(a + i * k, k, c, m, m, row);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < m; ++j) {
          float acc = 0;
          for (int64_t p = 0; p < k; ++p) {
            acc += a[p * n + i] * (f.adj_y ? c[j * k + p] : c[p * m + j]);
          }
          out[i * m + j] = acc;
        }
      }
    }
  }
}

}  // namespace

void weighted_rows_add(const float* w, int64_t count, const float* rows, int64_t stride, int64_t m,
                       float* out) {
  // Each output row accumulates the rows in order, a whole row at a time (vectorized across the
  // row; every element still sums over p in order). A zero weight adds exactly zero to finite
  // values: attention weights of masked keys, half of a causal product.
  for (int64_t p = 0; p < count; ++p) {
    const float wp = w[p];
    if (wp == 0.0f) continue;
    const float* __restrict src = rows + p * stride;
    float* __restrict dst = out;
    for (int64_t j = 0; j < m; ++j) dst[j] += wp * src[j];
  }
}

const Kernel& batch_matmul_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
