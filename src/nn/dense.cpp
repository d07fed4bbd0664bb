#include "nn/layers.hpp"

namespace pocketrec::nn {

void dense_forward(const Matrix& weight, const Matrix& bias, const float* x, int batch, float* y) {
  auto out = map(y, batch, weight.cols);
  out.noalias() = map(x, batch, weight.rows) * weight.map();
  out.rowwise() += bias.map().row(0);
}

void dense_backward(const Matrix& weight, const float* x, const float* dy, int batch, float* dx,
                    Gradient& weight_grad, Gradient& bias_grad) {
  auto grad = map(dy, batch, weight.cols);
  weight_grad.values.map().noalias() += map(x, batch, weight.rows).transpose() * grad;
  bias_grad.values.map().row(0) += grad.colwise().sum();
  if (dx) map(dx, batch, weight.rows).noalias() = grad * weight.map().transpose();
}

}  // namespace pocketrec::nn
