#include "nn/lstm.hpp"

#include "nn/recurrent_common.hpp"

#include <cstring>

namespace pocketrec::nn {
namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace

void lstm_forward(const LstmWeights& weights, const float* x, const int32_t* ids, int batch,
                  int length, LstmState& state, float* out) {
  const int units = weights.recurrent.rows;
  state.batch = batch;
  state.length = length;
  state.units = units;
  project_inputs(weights.input, weights.bias, x, batch * length, state.input_gates);
  state.hidden.resize(length + 1);
  state.cell.resize(length + 1);
  state.gates.resize(length);
  state.hidden[0].resize(batch, units);
  state.cell[0].resize(batch, units);
  for (int t = 0; t < length; ++t) {
    state.hidden[t + 1].resize(batch, units);
    state.cell[t + 1].resize(batch, units);
    Matrix& gates = state.gates[t];
    gates.resize(batch, 4 * units);
    gates.map().noalias() = state.hidden[t].map() * weights.recurrent.map();
    for (int b = 0; b < batch; ++b) {
      float* row = gates.row(b);
      const float* xg = state.input_gates.row(b * length + t);
      for (int k = 0; k < 4 * units; ++k) row[k] += xg[k];
    }
    // Activations in place: i, f, o through the logistic, g through tanh.
    auto g = gates.map().array();
    g.leftCols(2 * units) = g.leftCols(2 * units).logistic();
    g.middleCols(2 * units, units) = g.middleCols(2 * units, units).tanh();
    g.rightCols(units) = g.rightCols(units).logistic();
    auto c = state.cell[t + 1].map().array();
    c = g.middleCols(units, units) * state.cell[t].map().array() +
        g.leftCols(units) * g.middleCols(2 * units, units);
    state.hidden[t + 1].map().array() = g.rightCols(units) * c.tanh();
    for (int b = 0; b < batch; ++b) {
      // Padding keeps both states as they were.
      if (ids[b * length + t] != 0) continue;
      std::memcpy(state.hidden[t + 1].row(b), state.hidden[t].row(b), sizeof(float) * units);
      std::memcpy(state.cell[t + 1].row(b), state.cell[t].row(b), sizeof(float) * units);
    }
  }
  const Matrix& last = state.hidden[length];
  std::memcpy(out, last.data.data(), sizeof(float) * last.size());
}

void lstm_backward(const LstmWeights& weights, const float* x, const int32_t* ids,
                   const LstmState& state, const float* dout, const float* dsteps, float* dx,
                   Gradient& input_grad, Gradient& recurrent_grad, Gradient& bias_grad) {
  const int batch = state.batch, length = state.length, units = state.units;
  Matrix dh(batch, units), dc(batch, units), dh_prev(batch, units), dc_prev(batch, units);
  std::memcpy(dh.data.data(), dout, sizeof(float) * dh.size());
  Matrix d_input_gates(batch * length, 4 * units);
  Matrix d_gates(batch, 4 * units);
  for (int t = length - 1; t >= 0; --t) {
    add_step_gradient(dsteps, length, t, dh);
    auto g = state.gates[t].map().array();
    auto i = g.leftCols(units);
    auto f = g.middleCols(units, units);
    auto c = g.middleCols(2 * units, units);
    auto o = g.rightCols(units);
    Array tc = state.cell[t + 1].map().array().tanh();
    auto dha = dh.map().array();
    Array dcell = dc.map().array() + dha * o * (1.0f - tc * tc);
    auto d = d_gates.map().array();
    d.leftCols(units) = dcell * c * i * (1.0f - i);
    d.middleCols(units, units) = dcell * state.cell[t].map().array() * f * (1.0f - f);
    d.middleCols(2 * units, units) = dcell * i * (1.0f - c * c);
    d.rightCols(units) = dha * tc * o * (1.0f - o);
    dc_prev.map().array() = dcell * f;
    for (int b = 0; b < batch; ++b) {
      if (ids[b * length + t] == 0) {
        std::memset(d_gates.row(b), 0, sizeof(float) * 4 * units);
        std::memcpy(dc_prev.row(b), dc.row(b), sizeof(float) * units);
      } else {
        std::memcpy(d_input_gates.row(b * length + t), d_gates.row(b), sizeof(float) * 4 * units);
      }
    }
    recurrent_grad.values.map().noalias() += state.hidden[t].map().transpose() * d_gates.map();
    dh_prev.map().noalias() = d_gates.map() * weights.recurrent.map().transpose();
    for (int b = 0; b < batch; ++b) {
      // Padding steps pass the hidden-state gradient through unchanged.
      if (ids[b * length + t] == 0) std::memcpy(dh_prev.row(b), dh.row(b), sizeof(float) * units);
    }
    std::swap(dh, dh_prev);
    std::swap(dc, dc_prev);
  }
  input_gradients(weights.input, x, d_input_gates, dx, input_grad, bias_grad);
}

}  // namespace pocketrec::nn
