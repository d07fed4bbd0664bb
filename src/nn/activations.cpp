#include "nn/layers.hpp"

namespace pocketrec::nn {

void relu_forward(float* x, size_t count) {
  for (size_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(const float* y, float* dy, size_t count) {
  for (size_t i = 0; i < count; ++i) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace pocketrec::nn
