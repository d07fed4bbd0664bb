#include <cstring>

#include "nn/layers.hpp"

namespace pocketrec::nn {

void embedding_forward(const Matrix& table, const int32_t* ids, int count, float* out) {
  embedding_forward_strided(table, ids, 1, count, out, table.cols);
}

void embedding_backward(const int32_t* ids, int count, const float* dout, Gradient& table_grad) {
  embedding_backward_strided(ids, 1, count, dout, table_grad.values.cols, table_grad);
}

void embedding_forward_strided(const Matrix& table, const int32_t* ids, int id_stride, int count,
                               float* out, int out_stride) {
  const int dim = table.cols;
  for (int n = 0; n < count; ++n) {
    std::memcpy(out + static_cast<size_t>(n) * out_stride, table.row(ids[n * id_stride]),
                sizeof(float) * dim);
  }
}

void embedding_backward_strided(const int32_t* ids, int id_stride, int count, const float* dout,
                                int dout_stride, Gradient& table_grad) {
  const int dim = table_grad.values.cols;
  for (int n = 0; n < count; ++n) {
    const int32_t id = ids[n * id_stride];
    if (id == 0) continue;
    table_grad.mark(static_cast<uint32_t>(id));
    float* row = table_grad.values.row(id);
    const float* src = dout + static_cast<size_t>(n) * dout_stride;
    for (int c = 0; c < dim; ++c) row[c] += src[c];
  }
}

}  // namespace pocketrec::nn
