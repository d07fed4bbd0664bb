// SOFTMAX over the last axis: exp(beta * (x - max)) / sum, one row at a time.
#include <cmath>

#include "tflite/ops/attention_math.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

float beta_of(const OpContext& ctx) {
  const auto* o = options_as<tflite::SoftmaxOptions>(ctx);
  return o ? o->beta() : 0.0f;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(1, 1);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require(in.shape.rank >= 1 && in.shape[in.shape.rank - 1] >= 1,
              "the input needs a non-empty last axis");
  ctx.require(std::isfinite(beta_of(ctx)) && beta_of(ctx) > 0, "beta must be positive");
  ctx.set_output(0, in.shape, DType::kFloat32);
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int64_t cols = in.shape[in.shape.rank - 1];
  const int64_t rows = in.elements() / cols;
  const float beta = beta_of(ctx);
  const float* x = in.as<float>();
  float* y = ctx.output(0).as<float>();
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * cols, y + r * cols, cols, beta);
}

}  // namespace

void softmax_row(const float* x, float* y, int64_t n, float beta) {
  float top = x[0];
  for (int64_t c = 1; c < n; ++c) top = std::max(top, x[c]);
  float sum = 0;
  for (int64_t c = 0; c < n; ++c) {
    // expf rounds every argument below -104 to 0, through a slow underflow path: masked
    // attention scores (-1e9) took a fifth of an attention query (bench, ml-1m-sasrec L = 200).
    const float arg = beta * (x[c] - top);
    y[c] = arg < -110.0f ? 0.0f : std::exp(arg);
    sum += y[c];
  }
  const float inv = 1.0f / sum;
  for (int64_t c = 0; c < n; ++c) y[c] *= inv;
}

const Kernel& softmax_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
