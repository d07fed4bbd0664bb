#include "nn/gru.hpp"

#include <cmath>

namespace pocketrec::nn {
namespace {

float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

}  // namespace

void gru_forward(const GruWeights& weights, const float* x, const int32_t* ids, int batch,
                 int length, GruState& state, float* out) {
  const int units = weights.recurrent.rows;
  const int embed = weights.input.rows;
  state.batch = batch;
  state.length = length;
  state.units = units;
  state.input_gates.resize(batch * length, 3 * units);
  state.input_gates.map().noalias() = map(x, batch * length, embed) * weights.input.map();
  state.input_gates.map().rowwise() += weights.bias.map().row(0);
  state.hidden.resize(length + 1);
  state.reset.resize(length);
  state.update.resize(length);
  state.candidate.resize(length);
  state.recurrent_candidate.resize(length);
  state.hidden[0].resize(batch, units);
  Matrix recurrent_gates(batch, 3 * units);
  for (int t = 0; t < length; ++t) {
    const Matrix& h = state.hidden[t];
    Matrix& next = state.hidden[t + 1];
    next.resize(batch, units);
    state.reset[t].resize(batch, units);
    state.update[t].resize(batch, units);
    state.candidate[t].resize(batch, units);
    state.recurrent_candidate[t].resize(batch, units);
    recurrent_gates.map().noalias() = h.map() * weights.recurrent.map();
    for (int b = 0; b < batch; ++b) {
      const float* hp = h.row(b);
      float* hn = next.row(b);
      if (ids[b * length + t] == 0) {
        for (int u = 0; u < units; ++u) hn[u] = hp[u];
        continue;
      }
      const float* xg = state.input_gates.row(b * length + t);
      const float* hg = recurrent_gates.row(b);
      for (int u = 0; u < units; ++u) {
        float r = sigmoid(xg[u] + hg[u]);
        float z = sigmoid(xg[units + u] + hg[units + u]);
        float n = std::tanh(xg[2 * units + u] + r * hg[2 * units + u]);
        state.reset[t].at(b, u) = r;
        state.update[t].at(b, u) = z;
        state.candidate[t].at(b, u) = n;
        state.recurrent_candidate[t].at(b, u) = hg[2 * units + u];
        hn[u] = (1.0f - z) * n + z * hp[u];
      }
    }
  }
  const Matrix& last = state.hidden[length];
  for (size_t i = 0; i < last.size(); ++i) out[i] = last.data[i];
}

void gru_backward(const GruWeights& weights, const float* x, const int32_t* ids,
                  const GruState& state, const float* dout, float* dx, Gradient& input_grad,
                  Gradient& recurrent_grad, Gradient& bias_grad) {
  const int batch = state.batch, length = state.length, units = state.units;
  const int embed = weights.input.rows;
  Matrix dh(batch, units), dh_prev(batch, units);
  for (size_t i = 0; i < dh.size(); ++i) dh.data[i] = dout[i];
  Matrix d_input_gates(batch * length, 3 * units);  // d(x W + b), zero at padding
  Matrix d_recurrent(batch, 3 * units);
  for (int t = length - 1; t >= 0; --t) {
    for (int b = 0; b < batch; ++b) {
      float* dr = d_recurrent.row(b);
      float* dg = d_input_gates.row(b * length + t);
      const float* g = dh.row(b);
      if (ids[b * length + t] == 0) {
        for (int k = 0; k < 3 * units; ++k) dr[k] = 0.0f;
        continue;
      }
      const float* hp = state.hidden[t].row(b);
      for (int u = 0; u < units; ++u) {
        float r = state.reset[t].at(b, u), z = state.update[t].at(b, u);
        float n = state.candidate[t].at(b, u), hn = state.recurrent_candidate[t].at(b, u);
        float dn_pre = g[u] * (1.0f - z) * (1.0f - n * n);
        float dz_pre = g[u] * (hp[u] - n) * z * (1.0f - z);
        float dr_pre = dn_pre * hn * r * (1.0f - r);
        dg[u] = dr_pre;
        dg[units + u] = dz_pre;
        dg[2 * units + u] = dn_pre;
        dr[u] = dr_pre;
        dr[units + u] = dz_pre;
        dr[2 * units + u] = dn_pre * r;
      }
    }
    recurrent_grad.values.map().noalias() += state.hidden[t].map().transpose() * d_recurrent.map();
    dh_prev.map().noalias() = d_recurrent.map() * weights.recurrent.map().transpose();
    for (int b = 0; b < batch; ++b) {
      const bool active = ids[b * length + t] != 0;
      float* dp = dh_prev.row(b);
      const float* g = dh.row(b);
      for (int u = 0; u < units; ++u) {
        // Through h' = (1 - z) n + z h directly, or unchanged where the step was padding.
        dp[u] += active ? g[u] * state.update[t].at(b, u) : g[u];
      }
    }
    std::swap(dh, dh_prev);
  }
  input_grad.values.map().noalias() +=
      map(x, batch * length, embed).transpose() * d_input_gates.map();
  bias_grad.values.map().row(0) += d_input_gates.map().colwise().sum();
  map(dx, batch * length, embed).noalias() = d_input_gates.map() * weights.input.map().transpose();
}

}  // namespace pocketrec::nn
