// FULLY_CONNECTED: out[b, u] = act(sum_i in[b, i] * W[u, i] + bias[u]). The input is flattened to
// [elements / input_size, input_size] unless keep_num_dims. Float weights, or int8 weights with
// per-row scales (TFLite's dynamic-range "hybrid" kernel: the input row is quantized symmetrically
// to int8 on the fly, the dot products are integer).
#include <cmath>

#include "tflite/ops/dot_rows.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Options {
  Activation act = Activation::kNone;
  bool keep_num_dims = false;
};

Options read_options(const OpContext& ctx) {
  Options o;
  if (const auto* opt = options_as<tflite::FullyConnectedOptions>(ctx)) {
    o.act = fused_activation(ctx, opt->fused_activation_function());
    o.keep_num_dims = opt->keep_num_dims();
    if (opt->weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT) {
      ctx.fail("shuffled weights are not supported");
    }
    if (opt->asymmetric_quantize_inputs())
      ctx.fail("asymmetric input quantization is not supported");
  }
  return o;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(2, 3);
  ctx.require_outputs(1);
  const Tensor& in = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* bias = ctx.optional_input(2);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require(w.shape.rank == 2, "weights must be [units, input_size], are " + w.shape.str());
  if (w.type == DType::kInt8) {
    ctx.require(w.constant && w.quant.quantized(), "int8 weights need constant data and scales");
    ctx.require(w.quant.scale.size() == 1 || w.quant.axis == 0,
                "int8 weights must be quantized per tensor or per output row");
    for (int64_t z : w.quant.zero_point) ctx.require(z == 0, "int8 weights must be symmetric");
    ctx.scratch_bytes = static_cast<size_t>(in.elements());  // the quantized input
  } else {
    ctx.require_type(w, DType::kFloat32, "weights");
  }
  const int32_t units = w.shape[0], size = w.shape[1];
  ctx.require(size > 0, "input size is 0");
  ctx.require(in.elements() % size == 0,
              "input " + in.shape.str() + " does not divide into rows of " + std::to_string(size));
  if (bias) {
    ctx.require_type(*bias, DType::kFloat32, "bias");
    ctx.require(bias->elements() == units, "bias has " + std::to_string(bias->elements()) +
                                               " values for " + std::to_string(units) + " units");
  }
  Options o = read_options(ctx);
  Shape out;
  if (o.keep_num_dims) {
    ctx.require(in.shape.rank >= 1 && in.shape[in.shape.rank - 1] == size,
                "keep_num_dims needs the last input dimension to be the input size");
    out = in.shape;
    out[out.rank - 1] = units;
  } else {
    out = {static_cast<int32_t>(in.elements() / size), units};
  }
  ctx.set_output(0, out, DType::kFloat32);
}

void eval_float(OpContext& ctx, const Options& o) {
  const Tensor& in = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* bias = ctx.optional_input(2);
  const int64_t units = w.shape[0], size = w.shape[1], rows = in.elements() / size;
  const float* x = in.as<float>();
  const float* weights = w.as<float>();
  const float* b = bias ? bias->as<float>() : nullptr;
  float* y = ctx.output(0).as<float>();
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * units;
    std::fill(yr, yr + units, 0.0f);
    dot_rows_add(x + r * size, weights, size, units, size, yr);
    add_bias_activate(yr, b, units, o.act);
  }
}

void eval_hybrid(OpContext& ctx, const Options& o) {
  const Tensor& in = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* bias = ctx.optional_input(2);
  const int64_t units = w.shape[0], size = w.shape[1], rows = in.elements() / size;
  const float* x = in.as<float>();
  const int8_t* weights = w.as<int8_t>();
  const float* b = bias ? bias->as<float>() : nullptr;
  float* y = ctx.output(0).as<float>();
  auto* q = reinterpret_cast<int8_t*>(ctx.scratch);
  const bool per_row = w.quant.scale.size() > 1;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * size;
    float max_abs = 0.0f;
    for (int64_t i = 0; i < size; ++i) max_abs = std::max(max_abs, std::fabs(xr[i]));
    const float scale = max_abs / 127.0f;
    if (max_abs == 0.0f) {
      for (int64_t i = 0; i < size; ++i) q[i] = 0;
    } else {
      const float inv = 127.0f / max_abs;
      for (int64_t i = 0; i < size; ++i) {
        q[i] = static_cast<int8_t>(std::clamp(std::lround(xr[i] * inv), -127L, 127L));
      }
    }
    for (int64_t u = 0; u < units; ++u) {
      const int8_t* wu = weights + u * size;
      int32_t acc = 0;
      for (int64_t i = 0; i < size; ++i) acc += static_cast<int32_t>(q[i]) * wu[i];
      float ws = w.quant.scale[per_row ? u : 0];
      y[r * units + u] = activate(o.act, static_cast<float>(acc) * scale * ws + (b ? b[u] : 0.0f));
    }
  }
}

void eval(OpContext& ctx) {
  Options o = read_options(ctx);
  if (ctx.input(1).type == DType::kInt8) {
    eval_hybrid(ctx, o);
  } else {
    eval_float(ctx, o);
  }
}

}  // namespace

const Kernel& fully_connected_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
