// UNIDIRECTIONAL_SEQUENCE_LSTM, float, the plain form Keras exports: input/recurrent weights for
// gates i, f, c, o, their biases, and the state in variable tensors (inputs 18 and 19) that the
// kernel leaves holding the final h and c. CIFG, peepholes, projection and layer norm are rejected.
#include <algorithm>

#include "tflite/ops/lstm_kernel.hpp"
#include "tflite/ops/op_util.hpp"

namespace pocketrec::tfl {
namespace {

struct Params {
  LstmCellActivation activation = LstmCellActivation::kTanh;
  float cell_clip = 0.0f;
  bool time_major = false;
};

Params read_params(const OpContext& ctx) {
  const auto* opt = options_as<tflite::UnidirectionalSequenceLSTMOptions>(ctx);
  ctx.require(opt != nullptr, "UnidirectionalSequenceLSTMOptions are missing");
  Params p;
  switch (opt->fused_activation_function()) {
    case tflite::ActivationFunctionType::TANH:
      p.activation = LstmCellActivation::kTanh;
      break;
    case tflite::ActivationFunctionType::RELU:
      p.activation = LstmCellActivation::kRelu;
      break;
    case tflite::ActivationFunctionType::NONE:
      p.activation = LstmCellActivation::kNone;
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
  // A "packed" flag, the biases and weights packed for the kernel (see eval), its scratch.
  LstmWeights w;
  w.n_input = n_input;
  w.n_cell = n_cell;
  ctx.scratch_bytes =
      sizeof(float) *
      (1 + 4 * static_cast<size_t>(n_cell) * (1 + n_input + n_cell) + lstm_scratch_floats(w));
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
  // Constant weights (the usual case) are packed once into this operator's own scratch, which
  // the arena zeroes at planning.
  const int64_t width = 4 * static_cast<int64_t>(n_cell);
  float* packed_flag = reinterpret_cast<float*>(ctx.scratch);
  float* packed_bias = packed_flag + 1;
  float* wt = packed_bias + width;
  float* rt = wt + n_input * width;
  float* kernel_scratch = rt + n_cell * width;
  bool constant_weights = true;
  for (int i = 1; i <= 15; ++i) {
    if (i < 9 || i > 11) constant_weights = constant_weights && ctx.input(i).constant;
  }
  if (!constant_weights || *packed_flag == 0.0f) {
    pack_lstm_gates(w, n_cell, n_input, wt);
    pack_lstm_gates(r, n_cell, n_cell, rt);
    for (int g = 0; g < 4; ++g) std::copy_n(bias[g], n_cell, packed_bias + g * n_cell);
    *packed_flag = 1.0f;
  }
  LstmWeights weights;
  weights.input_t = wt;
  weights.recurrent_t = rt;
  weights.bias = packed_bias;
  weights.n_input = n_input;
  weights.n_cell = n_cell;
  weights.activation = p.activation;
  weights.cell_clip = p.cell_clip;
  // Each sequence in turn; time-major input interleaves the sequences step by step.
  const int64_t stride = p.time_major ? batch : 1;
  for (int32_t b = 0; b < batch; ++b) {
    const int64_t first_row = p.time_major ? b : static_cast<int64_t>(b) * steps;
    lstm_sequence(weights, in.as<float>() + first_row * n_input, stride * n_input, steps,
                  h_state + static_cast<int64_t>(b) * n_cell,
                  c_state + static_cast<int64_t>(b) * n_cell,
                  ctx.output(0).as<float>() + first_row * n_cell, stride * n_cell, kernel_scratch);
  }
}

}  // namespace

const Kernel& unidirectional_sequence_lstm_kernel() {
  static const Kernel k{prepare, eval};
  return k;
}

}  // namespace pocketrec::tfl
