// UNIDIRECTIONAL_SEQUENCE_LSTM, float, the plain form Keras exports: input/recurrent weights for
// gates i, f, c, o, their biases, and the state in variable tensors (inputs 18 and 19) that the
// kernel leaves holding the final h and c. CIFG, peepholes, projection and layer norm are rejected.
#include <cstring>

#include "tflite/ops/op_util.hpp"
#include "tflite/ops/vector_math.hpp"

namespace pocketrec::tfl {
namespace {

struct Params {
  void (*act_array)(float*, size_t) = nullptr;  // the cell activation, in place
  float cell_clip = 0.0f;
  bool time_major = false;
};

void act_tanh(float* x, size_t n) {
  tanh_array(x, x, n);
}
void act_relu(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}
void act_none(float*, size_t) {}

Params read_params(const OpContext& ctx) {
  const auto* opt = options_as<tflite::UnidirectionalSequenceLSTMOptions>(ctx);
  ctx.require(opt != nullptr, "UnidirectionalSequenceLSTMOptions are missing");
  Params p;
  switch (opt->fused_activation_function()) {
    case tflite::ActivationFunctionType::TANH:
      p.act_array = act_tanh;
      break;
    case tflite::ActivationFunctionType::RELU:
      p.act_array = act_relu;
      break;
    case tflite::ActivationFunctionType::NONE:
      p.act_array = act_none;
      break;
    default:
      ctx.fail("cell activation " +
               std::to_string(static_cast<int>(opt->fused_activation_function())) +
               " is not supported");
  }
  p.cell_clip = opt->cell_clip();
  p.time_major = opt->time_major();
  return p;
}

void prepare(OpContext& ctx) {
  ctx.require_inputs(20, 24);
  ctx.require_outputs(1);
  for (int i : {9, 10, 11, 16, 17}) {
    ctx.require(!ctx.optional_input(i), "peephole and projection tensors are not supported");
  }
  for (int i = 20; i < static_cast<int>(ctx.inputs.size()); ++i) {
    ctx.require(!ctx.optional_input(i), "layer-normalised LSTM is not supported");
  }
  ctx.require(ctx.optional_input(1) && ctx.optional_input(5) && ctx.optional_input(12),
              "CIFG LSTM (no input gate) is not supported");
  const Tensor& in = ctx.input(0);
  ctx.require_type(in, DType::kFloat32, "input");
  ctx.require(in.shape.rank == 3, "input must be rank 3, is " + in.shape.str());
  Params p = read_params(ctx);
  const int32_t batch = p.time_major ? in.shape[1] : in.shape[0];
  const int32_t n_input = in.shape[2];
  const int32_t n_cell = ctx.input(2).shape[0];
  for (int i = 1; i <= 8; ++i) {
    const Tensor& w = ctx.input(i);
    ctx.require_type(w, DType::kFloat32, "weights");
    int32_t cols = i <= 4 ? n_input : n_cell;
    ctx.require(w.shape.rank == 2 && w.shape[0] == n_cell && w.shape[1] == cols,
                "weight input " + std::to_string(i) + " must be [" + std::to_string(n_cell) + "," +
                    std::to_string(cols) + "], is " + w.shape.str());
  }
  for (int i = 12; i <= 15; ++i) {
    ctx.require_type(ctx.input(i), DType::kFloat32, "bias");
    ctx.require(ctx.input(i).elements() == n_cell, "bias input " + std::to_string(i) + " size");
  }
  for (int i : {18, 19}) {
    const Tensor& s = ctx.input(i);
    ctx.require(s.is_variable, "state input " + std::to_string(i) + " must be a variable tensor");
    ctx.require_type(s, DType::kFloat32, "state");
    ctx.require(s.elements() == static_cast<int64_t>(batch) * n_cell,
                "state input " + std::to_string(i) + " has the wrong size");
  }
  Shape out = in.shape;
  out[2] = n_cell;
  ctx.set_output(0, out, DType::kFloat32);
  // Gates, a "packed" flag, then the weights transposed (see eval).
  const size_t gates = 4 * static_cast<size_t>(n_cell);
  ctx.scratch_bytes = sizeof(float) * (gates + 1 + (static_cast<size_t>(n_input) + n_cell) * gates);
}

void eval(OpContext& ctx) {
  const Tensor& in = ctx.input(0);
  Params p = read_params(ctx);
  const int32_t batch = p.time_major ? in.shape[1] : in.shape[0];
  const int32_t steps = p.time_major ? in.shape[0] : in.shape[1];
  const int32_t n_input = in.shape[2];
  const int32_t n_cell = ctx.input(2).shape[0];
  const float* w[4] = {ctx.input(1).as<float>(), ctx.input(2).as<float>(), ctx.input(3).as<float>(),
                       ctx.input(4).as<float>()};
  const float* r[4] = {ctx.input(5).as<float>(), ctx.input(6).as<float>(), ctx.input(7).as<float>(),
                       ctx.input(8).as<float>()};
  const float* bias[4] = {ctx.input(12).as<float>(), ctx.input(13).as<float>(),
                          ctx.input(14).as<float>(), ctx.input(15).as<float>()};
  float* h_state = ctx.input(18).as<float>();
  float* c_state = ctx.input(19).as<float>();
  // The weights transposed to [input][4 * n_cell] (gates i, f, c, o side by side), so each input
  // value scales one contiguous row: all gate pre-activations are a few vector loops per step,
  // instead of 4 * n_cell short dot products. Constant weights (the usual case) are packed once
  // into this operator's own scratch, which the arena zeroes at planning.
  const int64_t width = 4 * static_cast<int64_t>(n_cell);
  float* gates = reinterpret_cast<float*>(ctx.scratch);
  float* packed_flag = gates + width;
  float* wt = packed_flag + 1;
  float* rt = wt + n_input * width;
  bool constant_weights = true;
  for (int i = 1; i <= 8; ++i) constant_weights = constant_weights && ctx.input(i).constant;
  if (!constant_weights || *packed_flag == 0.0f) {
    for (int g = 0; g < 4; ++g) {
      for (int32_t u = 0; u < n_cell; ++u) {
        for (int32_t k = 0; k < n_input; ++k) {
          wt[k * width + g * n_cell + u] = w[g][static_cast<int64_t>(u) * n_input + k];
        }
        for (int32_t k = 0; k < n_cell; ++k) {
          rt[k * width + g * n_cell + u] = r[g][static_cast<int64_t>(u) * n_cell + k];
        }
      }
    }
    *packed_flag = 1.0f;
  }
  float* y = ctx.output(0).as<float>();
  for (int32_t t = 0; t < steps; ++t) {
    for (int32_t b = 0; b < batch; ++b) {
      const int64_t row =
          p.time_major ? static_cast<int64_t>(t) * batch + b : static_cast<int64_t>(b) * steps + t;
      const float* x = in.as<float>() + row * n_input;
      float* h = h_state + static_cast<int64_t>(b) * n_cell;
      float* c = c_state + static_cast<int64_t>(b) * n_cell;
      for (int g = 0; g < 4; ++g) std::copy_n(bias[g], n_cell, gates + g * n_cell);
      // Eight gates at a time stay in one vector register across all inputs and recurrent values
      // (GCC/Clang vector extensions: AVX here, two SSE or NEON halves elsewhere). Eight such
      // registers (64 gates) advance together, input by input, so their add chains overlap; each
      // gate still sums its terms in the same order, so the results keep their bits.
      int64_t j0 = 0;
      for (; j0 + 64 <= width; j0 += 64) {
        Float8 acc[8];
        for (int a = 0; a < 8; ++a) acc[a] = load8(gates + j0 + 8 * a);
        for (int32_t k = 0; k < n_input; ++k) {
          const float* weights = wt + k * width + j0;
          for (int a = 0; a < 8; ++a) acc[a] += x[k] * load8(weights + 8 * a);
        }
        for (int32_t k = 0; k < n_cell; ++k) {
          const float* weights = rt + k * width + j0;
          for (int a = 0; a < 8; ++a) acc[a] += h[k] * load8(weights + 8 * a);
        }
        std::memcpy(gates + j0, acc, sizeof acc);
      }
      for (; j0 + 8 <= width; j0 += 8) {
        Float8 acc = load8(gates + j0);
        for (int32_t k = 0; k < n_input; ++k) acc += x[k] * load8(wt + k * width + j0);
        for (int32_t k = 0; k < n_cell; ++k) acc += h[k] * load8(rt + k * width + j0);
        std::memcpy(gates + j0, &acc, sizeof acc);
      }
      for (int64_t j = j0; j < width; ++j) {
        float acc = gates[j];
        for (int32_t k = 0; k < n_input; ++k) acc += x[k] * wt[k * width + j];
        for (int32_t k = 0; k < n_cell; ++k) acc += h[k] * rt[k * width + j];
        gates[j] = acc;
      }
      float* out = y + row * n_cell;
      // Gate activations as whole arrays: i and f, then o, are sigmoids; c is the activation.
      sigmoid_array(gates, gates, 2 * static_cast<size_t>(n_cell));
      sigmoid_array(gates + 3 * n_cell, gates + 3 * n_cell, n_cell);
      p.act_array(gates + 2 * n_cell, n_cell);
      for (int32_t u = 0; u < n_cell; ++u) {
        float cell = gates[n_cell + u] * c[u] + gates[u] * gates[2 * n_cell + u];
        if (p.cell_clip > 0.0f) cell = std::clamp(cell, -p.cell_clip, p.cell_clip);
        c[u] = cell;
        out[u] = cell;
      }
      p.act_array(out, n_cell);
      for (int32_t u = 0; u < n_cell; ++u) out[u] *= gates[3 * n_cell + u];
      for (int32_t u = 0; u < n_cell; ++u) h[u] = out[u];
    }
  }
}

}  // namespace

const Kernel& unidirectional_sequence_lstm_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
