#include "nn/conv1d.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace pocketrec::nn {

void conv1d_forward(const Matrix& weight, const Matrix& bias, const float* x,
                    const Conv1dShape& shape, Conv1dState& state, float* y) {
  const int out_length = shape.out_length(), pad = shape.pad_left();
  const int width = shape.kernel * shape.channels;
  state.shape = shape;
  state.columns.resize(shape.batch * out_length, width);
  for (int b = 0; b < shape.batch; ++b) {
    for (int t = 0; t < out_length; ++t) {
      float* column = state.columns.row(b * out_length + t);
      for (int j = 0; j < shape.kernel; ++j) {
        int source = t * shape.stride - pad + j;
        if (source < 0 || source >= shape.length) continue;  // zero padding
        std::memcpy(column + j * shape.channels, x + (b * shape.length + source) * shape.channels,
                    sizeof(float) * shape.channels);
      }
    }
  }
  auto out = map(y, shape.batch * out_length, shape.filters);
  out.noalias() = state.columns.map() * weight.map();
  out.rowwise() += bias.map().row(0);
}

void conv1d_backward(const Matrix& weight, const Conv1dState& state, const float* dy, float* dx,
                     Gradient& weight_grad, Gradient& bias_grad) {
  const auto& shape = state.shape;
  const int out_length = shape.out_length(), pad = shape.pad_left();
  auto grad = map(dy, shape.batch * out_length, shape.filters);
  weight_grad.values.map().noalias() += state.columns.map().transpose() * grad;
  bias_grad.values.map().row(0) += grad.colwise().sum();
  Matrix column_grad(shape.batch * out_length, shape.kernel * shape.channels);
  column_grad.map().noalias() = grad * weight.map().transpose();
  std::fill(dx, dx + static_cast<size_t>(shape.batch) * shape.length * shape.channels, 0.0f);
  for (int b = 0; b < shape.batch; ++b) {
    for (int t = 0; t < out_length; ++t) {
      const float* column = column_grad.row(b * out_length + t);
      for (int j = 0; j < shape.kernel; ++j) {
        int source = t * shape.stride - pad + j;
        if (source < 0 || source >= shape.length) continue;
        float* target = dx + (b * shape.length + source) * shape.channels;
        for (int c = 0; c < shape.channels; ++c) target[c] += column[j * shape.channels + c];
      }
    }
  }
}

std::vector<uint8_t> conv1d_mask(const std::vector<uint8_t>& in_mask, const Conv1dShape& shape) {
  const int out_length = shape.out_length(), pad = shape.pad_left();
  std::vector<uint8_t> out(static_cast<size_t>(shape.batch) * out_length, 0);
  for (int b = 0; b < shape.batch; ++b) {
    for (int t = 0; t < out_length; ++t) {
      for (int j = 0; j < shape.kernel; ++j) {
        int source = t * shape.stride - pad + j;
        if (source >= 0 && source < shape.length && in_mask[b * shape.length + source]) {
          out[b * out_length + t] = 1;
        }
      }
    }
  }
  return out;
}

void masked_max_forward(const float* x, const std::vector<uint8_t>& mask, int batch, int length,
                        int channels, float* y, std::vector<int>& argmax) {
  argmax.assign(static_cast<size_t>(batch) * channels, -1);
  for (int b = 0; b < batch; ++b) {
    for (int c = 0; c < channels; ++c) {
      float best = -std::numeric_limits<float>::infinity();
      int winner = -1;
      for (int t = 0; t < length; ++t) {
        if (!mask[b * length + t]) continue;
        float v = x[(b * length + t) * channels + c];
        if (winner < 0 || v > best) {
          best = v;
          winner = t;
        }
      }
      y[b * channels + c] = winner < 0 ? 0.0f : best;
      argmax[b * channels + c] = winner;
    }
  }
}

void masked_max_backward(const std::vector<int>& argmax, int batch, int length, int channels,
                         const float* dy, float* dx) {
  std::fill(dx, dx + static_cast<size_t>(batch) * length * channels, 0.0f);
  for (int b = 0; b < batch; ++b) {
    for (int c = 0; c < channels; ++c) {
      int winner = argmax[b * channels + c];
      if (winner >= 0) dx[(b * length + winner) * channels + c] = dy[b * channels + c];
    }
  }
}

}  // namespace pocketrec::nn
