#include <algorithm>

#include "nn/layers.hpp"

namespace pocketrec::nn {

void masked_mean_forward(const float* x, const int32_t* ids, int batch, int length, int dim,
                         float* y) {
  for (int b = 0; b < batch; ++b) {
    float* out = y + static_cast<size_t>(b) * dim;
    std::fill(out, out + dim, 0.0f);
    int used = 0;
    for (int l = 0; l < length; ++l) {
      if (ids[b * length + l] == 0) continue;
      ++used;
      const float* in = x + (static_cast<size_t>(b) * length + l) * dim;
      for (int c = 0; c < dim; ++c) out[c] += in[c];
    }
    if (used > 1) {
      float inverse = 1.0f / static_cast<float>(used);
      for (int c = 0; c < dim; ++c) out[c] *= inverse;
    }
  }
}

void masked_mean_backward(const int32_t* ids, int batch, int length, int dim, const float* dy,
                          float* dx) {
  for (int b = 0; b < batch; ++b) {
    int used = 0;
    for (int l = 0; l < length; ++l) used += ids[b * length + l] != 0;
    float inverse = used ? 1.0f / static_cast<float>(used) : 0.0f;
    const float* grad = dy + static_cast<size_t>(b) * dim;
    for (int l = 0; l < length; ++l) {
      float* out = dx + (static_cast<size_t>(b) * length + l) * dim;
      float factor = ids[b * length + l] != 0 ? inverse : 0.0f;
      for (int c = 0; c < dim; ++c) out[c] = grad[c] * factor;
    }
  }
}

}  // namespace pocketrec::nn
