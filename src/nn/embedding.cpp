#include <cstring>

#include "nn/layers.hpp"

namespace pocketrec::nn {

void embedding_forward(const Matrix& table, const int32_t* ids, int count, float* out) {
  const int dim = table.cols;
  for (int n = 0; n < count; ++n) {
    std::memcpy(out + static_cast<size_t>(n) * dim, table.row(ids[n]), sizeof(float) * dim);
  }
}

void embedding_backward(const int32_t* ids, int count, const float* dout, Gradient& table_grad) {
  const int dim = table_grad.values.cols;
  for (int n = 0; n < count; ++n) {
    if (ids[n] == 0) continue;
    table_grad.mark(static_cast<uint32_t>(ids[n]));
    float* row = table_grad.values.row(ids[n]);
    const float* src = dout + static_cast<size_t>(n) * dim;
    for (int c = 0; c < dim; ++c) row[c] += src[c];
  }
}

}  // namespace pocketrec::nn
