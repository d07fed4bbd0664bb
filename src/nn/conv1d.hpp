#pragma once
// 1-D convolution over time with TensorFlow's SAME padding (output length ceil(L / stride), the
// odd padding cell on the right), as an im2col product. Masks travel with it: an output position
// is valid when any input position in its window is.
#include <cstdint>
#include <vector>

#include "nn/matrix.hpp"

namespace pocketrec::nn {

struct Conv1dShape {
  int batch = 0, length = 0, channels = 0;  // input
  int kernel = 1, stride = 1, filters = 0;
  int out_length() const { return (length + stride - 1) / stride; }
  int pad_left() const {
    int total = std::max((out_length() - 1) * stride + kernel - length, 0);
    return total / 2;
  }
};

struct Conv1dState {
  Conv1dShape shape;
  Matrix columns;  // [B*Lout, kernel*channels]
};

// x: [B*L, C] (row b*L + t), weight: [kernel*C, F], bias: [1, F]; y: [B*Lout, F].
void conv1d_forward(const Matrix& weight, const Matrix& bias, const float* x,
                    const Conv1dShape& shape, Conv1dState& state, float* y);
// dy: [B*Lout, F]; adds the weight and bias gradients, writes dx [B*L, C].
void conv1d_backward(const Matrix& weight, const Conv1dState& state, const float* dy, float* dx,
                     Gradient& weight_grad, Gradient& bias_grad);
// in_mask: [B, L] (0/1); returns [B, Lout].
std::vector<uint8_t> conv1d_mask(const std::vector<uint8_t>& in_mask, const Conv1dShape& shape);

// y[b, c] = max over valid t of x[b*L + t, c]; zeros where no position is valid. `argmax`
// remembers the winners for the backward pass (-1 for none).
void masked_max_forward(const float* x, const std::vector<uint8_t>& mask, int batch, int length,
                        int channels, float* y, std::vector<int>& argmax);
void masked_max_backward(const std::vector<int>& argmax, int batch, int length, int channels,
                         const float* dy, float* dx);

}  // namespace pocketrec::nn
