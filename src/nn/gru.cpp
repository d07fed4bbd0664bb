#include "nn/gru.hpp"

#include "nn/recurrent_common.hpp"

#include <cstring>

namespace pocketrec::nn {
namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows b * length + t of a batch-major [B*L, W] matrix, as one contiguous [B, W] block.
void gather_step(const Matrix& source, int batch, int length, int t, Matrix& out) {
  out.resize(batch, source.cols);
  for (int b = 0; b < batch; ++b) {
    std::memcpy(out.row(b), source.row(b * length + t), sizeof(float) * source.cols);
  }
}

}  // namespace

void gru_forward(const GruWeights& weights, const float* x, const int32_t* ids, int batch,
                 int length, GruState& state, float* out) {
  const int units = weights.recurrent.rows;
  state.batch = batch;
  state.length = length;
  state.units = units;
  project_inputs(weights.input, weights.bias, x, batch * length, state.input_gates);
  state.hidden.resize(length + 1);
  state.reset.resize(length);
  state.update.resize(length);
  state.candidate.resize(length);
  state.recurrent_candidate.resize(length);
  state.hidden[0].resize(batch, units);
  Matrix recurrent_gates(batch, 3 * units), step_gates;
  for (int t = 0; t < length; ++t) {
    const Matrix& h = state.hidden[t];
    Matrix& next = state.hidden[t + 1];
    next.resize(batch, units);
    for (auto* m :
         {&state.reset[t], &state.update[t], &state.candidate[t], &state.recurrent_candidate[t]}) {
      m->resize(batch, units);
    }
    recurrent_gates.map().noalias() = h.map() * weights.recurrent.map();
    gather_step(state.input_gates, batch, length, t, step_gates);
    auto xg = step_gates.map().array();
    auto hg = recurrent_gates.map().array();
    auto r = state.reset[t].map().array();
    auto z = state.update[t].map().array();
    auto n = state.candidate[t].map().array();
    r = (xg.leftCols(units) + hg.leftCols(units)).logistic();
    z = (xg.middleCols(units, units) + hg.middleCols(units, units)).logistic();
    state.recurrent_candidate[t].map().array() = hg.rightCols(units);
    n = (xg.rightCols(units) + r * hg.rightCols(units)).tanh();
    next.map().array() = (1.0f - z) * n + z * h.map().array();
    for (int b = 0; b < batch; ++b) {
      // Padding leaves the state as it was.
      if (ids[b * length + t] == 0) std::memcpy(next.row(b), h.row(b), sizeof(float) * units);
    }
  }
  const Matrix& last = state.hidden[length];
  std::memcpy(out, last.data.data(), sizeof(float) * last.size());
}

void gru_backward(const GruWeights& weights, const float* x, const int32_t* ids,
                  const GruState& state, const float* dout, const float* dsteps, float* dx,
                  Gradient& input_grad, Gradient& recurrent_grad, Gradient& bias_grad) {
  const int batch = state.batch, length = state.length, units = state.units;
  Matrix dh(batch, units), dh_prev(batch, units);
  std::memcpy(dh.data.data(), dout, sizeof(float) * dh.size());
  Matrix d_input_gates(batch * length, 3 * units);  // d(x W + b), zero at padding
  Matrix d_recurrent(batch, 3 * units);
  for (int t = length - 1; t >= 0; --t) {
    add_step_gradient(dsteps, length, t, dh);
    auto g = dh.map().array();
    auto r = state.reset[t].map().array();
    auto z = state.update[t].map().array();
    auto n = state.candidate[t].map().array();
    auto hn = state.recurrent_candidate[t].map().array();
    auto hp = state.hidden[t].map().array();
    auto d = d_recurrent.map().array();
    Array dn_pre = g * (1.0f - z) * (1.0f - n * n);
    d.leftCols(units) = dn_pre * hn * r * (1.0f - r);
    d.middleCols(units, units) = g * (hp - n) * z * (1.0f - z);
    d.rightCols(units) = dn_pre;
    for (int b = 0; b < batch; ++b) {
      float* target = d_input_gates.row(b * length + t);
      if (ids[b * length + t] == 0) {
        std::memset(d_recurrent.row(b), 0, sizeof(float) * 3 * units);
      } else {
        std::memcpy(target, d_recurrent.row(b), sizeof(float) * 3 * units);
      }
    }
    // The recurrent candidate is gated by r: its gradient is dn_pre * r.
    d.rightCols(units) *= r;
    recurrent_grad.values.map().noalias() += state.hidden[t].map().transpose() * d_recurrent.map();
    dh_prev.map().noalias() = d_recurrent.map() * weights.recurrent.map().transpose();
    dh_prev.map().array() += g * z;
    for (int b = 0; b < batch; ++b) {
      // Padding steps pass the gradient through unchanged.
      if (ids[b * length + t] == 0) std::memcpy(dh_prev.row(b), dh.row(b), sizeof(float) * units);
    }
    std::swap(dh, dh_prev);
  }
  input_gradients(weights.input, x, d_input_gates, dx, input_grad, bias_grad);
}

}  // namespace pocketrec::nn
