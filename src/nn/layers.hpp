#pragma once
// Layers with explicit forward and backward passes over batches in contiguous buffers. Each
// function's test compares its backward pass with finite differences (tests/nn).
#include <cstdint>

#include "nn/matrix.hpp"

namespace pocketrec::nn {

// out[n, :] = table[ids[n], :] for n < count. Ids must already be range-checked.
void embedding_forward(const Matrix& table, const int32_t* ids, int count, float* out);
// table_grad[ids[n], :] += dout[n, :], skipping padding (id 0).
void embedding_backward(const int32_t* ids, int count, const float* dout, Gradient& table_grad);
// The same over interleaved layouts: id n is ids[n * id_stride], its row goes to
// out + n * out_stride (feature groups place several embeddings side by side in one input row).
void embedding_forward_strided(const Matrix& table, const int32_t* ids, int id_stride, int count,
                               float* out, int out_stride);
void embedding_backward_strided(const int32_t* ids, int id_stride, int count, const float* dout,
                                int dout_stride, Gradient& table_grad);

// y[b, :] = mean of x[b, l, :] over the positions with ids[b, l] != 0; zeros when none is.
void masked_mean_forward(const float* x, const int32_t* ids, int batch, int length, int dim,
                         float* y);
void masked_mean_backward(const int32_t* ids, int batch, int length, int dim, const float* dy,
                          float* dx);

// y = x W + b, W: [in, out], b: [1, out].
void dense_forward(const Matrix& weight, const Matrix& bias, const float* x, int batch, float* y);
// dW += x^T dy, db += sum dy, dx = dy W^T (dx may be null for the first layer).
void dense_backward(const Matrix& weight, const float* x, const float* dy, int batch, float* dx,
                    Gradient& weight_grad, Gradient& bias_grad);

void relu_forward(float* x, size_t count);
// dy *= (y > 0), where y is the ReLU's output.
void relu_backward(const float* y, float* dy, size_t count);

}  // namespace pocketrec::nn
