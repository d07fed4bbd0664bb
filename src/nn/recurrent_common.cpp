#include "nn/recurrent_common.hpp"

namespace pocketrec::nn {

void project_inputs(const Matrix& weight, const Matrix& bias, const float* x, int rows,
                    Matrix& gates) {
  gates.resize(rows, weight.cols);
  gates.map().noalias() = map(x, rows, weight.rows) * weight.map();
  gates.map().rowwise() += bias.map().row(0);
}

void add_step_gradient(const float* dsteps, int length, int t, Matrix& dh) {
  if (!dsteps) return;
  for (int b = 0; b < dh.rows; ++b) {
    float* row = dh.row(b);
    const float* step = dsteps + (static_cast<size_t>(b) * length + t) * dh.cols;
    for (int u = 0; u < dh.cols; ++u) row[u] += step[u];
  }
}

void input_gradients(const Matrix& weight, const float* x, const Matrix& d_gates, float* dx,
                     Gradient& weight_grad, Gradient& bias_grad) {
  const int rows = d_gates.rows;
  weight_grad.values.map().noalias() += map(x, rows, weight.rows).transpose() * d_gates.map();
  bias_grad.values.map().row(0) += d_gates.map().colwise().sum();
  map(dx, rows, weight.rows).noalias() = d_gates.map() * weight.map().transpose();
}

}  // namespace pocketrec::nn
