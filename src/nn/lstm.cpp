#include "nn/lstm.hpp"

#include <cmath>

namespace pocketrec::nn {
namespace {

float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

}  // namespace

void lstm_forward(const LstmWeights& weights, const float* x, const int32_t* ids, int batch,
                  int length, LstmState& state, float* out) {
  const int units = weights.recurrent.rows;
  const int embed = weights.input.rows;
  state.batch = batch;
  state.length = length;
  state.units = units;
  state.input_gates.resize(batch * length, 4 * units);
  state.input_gates.map().noalias() = map(x, batch * length, embed) * weights.input.map();
  state.input_gates.map().rowwise() += weights.bias.map().row(0);
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
      const float* hp = state.hidden[t].row(b);
      const float* cp = state.cell[t].row(b);
      float* hn = state.hidden[t + 1].row(b);
      float* cn = state.cell[t + 1].row(b);
      if (ids[b * length + t] == 0) {
        for (int u = 0; u < units; ++u) {
          hn[u] = hp[u];
          cn[u] = cp[u];
        }
        continue;
      }
      float* g = gates.row(b);
      const float* xg = state.input_gates.row(b * length + t);
      for (int u = 0; u < units; ++u) {
        float i = sigmoid(g[u] + xg[u]);
        float f = sigmoid(g[units + u] + xg[units + u]);
        float c = std::tanh(g[2 * units + u] + xg[2 * units + u]);
        float o = sigmoid(g[3 * units + u] + xg[3 * units + u]);
        g[u] = i;
        g[units + u] = f;
        g[2 * units + u] = c;
        g[3 * units + u] = o;
        cn[u] = f * cp[u] + i * c;
        hn[u] = o * std::tanh(cn[u]);
      }
    }
  }
  const Matrix& last = state.hidden[length];
  for (size_t i = 0; i < last.size(); ++i) out[i] = last.data[i];
}

void lstm_backward(const LstmWeights& weights, const float* x, const int32_t* ids,
                   const LstmState& state, const float* dout, float* dx, Gradient& input_grad,
                   Gradient& recurrent_grad, Gradient& bias_grad) {
  const int batch = state.batch, length = state.length, units = state.units;
  const int embed = weights.input.rows;
  Matrix dh(batch, units), dc(batch, units), dh_prev(batch, units);
  for (size_t i = 0; i < dh.size(); ++i) dh.data[i] = dout[i];
  Matrix d_input_gates(batch * length, 4 * units);
  Matrix d_gates(batch, 4 * units);
  for (int t = length - 1; t >= 0; --t) {
    for (int b = 0; b < batch; ++b) {
      float* dg = d_gates.row(b);
      if (ids[b * length + t] == 0) {
        for (int k = 0; k < 4 * units; ++k) dg[k] = 0.0f;
        continue;
      }
      const float* g = state.gates[t].row(b);
      const float* cp = state.cell[t].row(b);
      const float* cn = state.cell[t + 1].row(b);
      float* dcb = dc.row(b);
      const float* dhb = dh.row(b);
      for (int u = 0; u < units; ++u) {
        float i = g[u], f = g[units + u], c = g[2 * units + u], o = g[3 * units + u];
        float tc = std::tanh(cn[u]);
        float dcell = dcb[u] + dhb[u] * o * (1.0f - tc * tc);
        dg[u] = dcell * c * i * (1.0f - i);
        dg[units + u] = dcell * cp[u] * f * (1.0f - f);
        dg[2 * units + u] = dcell * i * (1.0f - c * c);
        dg[3 * units + u] = dhb[u] * tc * o * (1.0f - o);
        dcb[u] = dcell * f;  // becomes d(c_prev)
      }
      float* dgi = d_input_gates.row(b * length + t);
      for (int k = 0; k < 4 * units; ++k) dgi[k] = dg[k];
    }
    recurrent_grad.values.map().noalias() += state.hidden[t].map().transpose() * d_gates.map();
    dh_prev.map().noalias() = d_gates.map() * weights.recurrent.map().transpose();
    for (int b = 0; b < batch; ++b) {
      // Padding steps pass both gradients through unchanged (dc already is).
      if (ids[b * length + t] != 0) continue;
      float* dp = dh_prev.row(b);
      const float* dhb = dh.row(b);
      for (int u = 0; u < units; ++u) dp[u] = dhb[u];
    }
    std::swap(dh, dh_prev);
  }
  input_grad.values.map().noalias() +=
      map(x, batch * length, embed).transpose() * d_input_gates.map();
  bias_grad.values.map().row(0) += d_input_gates.map().colwise().sum();
  map(dx, batch * length, embed).noalias() = d_input_gates.map() * weights.input.map().transpose();
}

}  // namespace pocketrec::nn
