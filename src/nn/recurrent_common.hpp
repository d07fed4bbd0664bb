#pragma once
// The parts the GRU and the LSTM share: the input projection of all steps at once, the gradient
// injected at every step in causal training, and the input-side gradients at the end.
#include "nn/matrix.hpp"

namespace pocketrec::nn {

// gates = x W + b for all B*L rows at once (row b * L + t).
void project_inputs(const Matrix& weight, const Matrix& bias, const float* x, int rows,
                    Matrix& gates);
// dh[b] += dsteps[b * L + t] (no-op when dsteps is null).
void add_step_gradient(const float* dsteps, int length, int t, Matrix& dh);
// From d(x W + b): the weight and bias gradients (added) and dx (written).
void input_gradients(const Matrix& weight, const float* x, const Matrix& d_gates, float* dx,
                     Gradient& weight_grad, Gradient& bias_grad);

}  // namespace pocketrec::nn
